#include "loadgen/identical/answers.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

NamedAnswer Named(std::string target, Answer answer) {
  return {.target = std::move(target), .answer = std::move(answer)};
}

Answer Ok(std::string bytes) {
  return {.code = grpc::StatusCode::OK, .bytes = std::move(bytes)};
}

TEST(AnswersTest, IdenticalAnswersHaveNoDifference) {
  EXPECT_EQ(DescribeDifference("GetItem {id: 25}", Named("sync", Ok("abc")),
                               Named("async", Ok("abc"))),
            std::nullopt);
  const Answer not_found{.code = grpc::StatusCode::NOT_FOUND,
                         .message = "no item with id 801"};
  EXPECT_EQ(DescribeDifference("GetItem {id: 801}", Named("sync", not_found),
                               Named("async", not_found)),
            std::nullopt);
  EXPECT_EQ(DescribeDifference("ListItems {}", Named("a", Ok("")),
                               Named("b", Ok(""))),
            std::nullopt);
}

TEST(AnswersTest, DifferingBytesNameTheFirstDifferingByte) {
  std::string sync(230, 'x');
  std::string async = sync + "y";
  async[17] = 'z';
  EXPECT_EQ(DescribeDifference("GetItem {id: 25}", Named("sync", Ok(sync)),
                               Named("async", Ok(async))),
            "GetItem {id: 25}: sync 230 bytes, async 231 bytes, first "
            "difference at byte 17");
}

TEST(AnswersTest, APrefixDiffersWhereItEnds) {
  EXPECT_EQ(FirstDifference("abc", "abcd"), 3u);
  EXPECT_EQ(FirstDifference("abcd", "abc"), 3u);
  EXPECT_EQ(FirstDifference("", "a"), 0u);
  EXPECT_EQ(FirstDifference("abc", "abd"), 2u);
  EXPECT_EQ(FirstDifference("xbc", "abc"), 0u);
  EXPECT_EQ(FirstDifference("abc", "abc"), std::nullopt);
  EXPECT_EQ(FirstDifference("", ""), std::nullopt);
  EXPECT_EQ(DescribeDifference("ListItems {}", Named("a", Ok("abc")),
                               Named("b", Ok("abcd"))),
            "ListItems {}: a 3 bytes, b 4 bytes, first difference at byte 3");
}

TEST(AnswersTest, DifferingCodesComeFirst) {
  const Answer unavailable{.code = grpc::StatusCode::UNAVAILABLE,
                           .message = "database unreachable"};
  EXPECT_EQ(DescribeDifference("ListItems {}", Named("sync", Ok("abc")),
                               Named("async", unavailable)),
            "ListItems {}: sync OK, async UNAVAILABLE: \"database "
            "unreachable\"");
  const Answer invalid{.code = grpc::StatusCode::INVALID_ARGUMENT,
                       .message = "id must be positive"};
  const Answer not_found{.code = grpc::StatusCode::NOT_FOUND,
                         .message = "id must be positive"};
  EXPECT_EQ(DescribeDifference("GetItem {id: 0}", Named("a", invalid),
                               Named("b", not_found)),
            "GetItem {id: 0}: a INVALID_ARGUMENT: \"id must be positive\", b "
            "NOT_FOUND: \"id must be positive\"");
}

TEST(AnswersTest, DifferingMessagesOfOneCode) {
  const Answer sync{.code = grpc::StatusCode::INVALID_ARGUMENT,
                    .message = "id must be positive"};
  const Answer async{.code = grpc::StatusCode::INVALID_ARGUMENT,
                     .message = "id must be\npositive"};
  EXPECT_EQ(DescribeDifference("GetItem {id: 0}", Named("sync", sync),
                               Named("async", async)),
            "GetItem {id: 0}: both INVALID_ARGUMENT, messages differ: sync "
            "\"id must be positive\", async \"id must be\\npositive\"");
}

TEST(AnswersTest, Lines) {
  EXPECT_EQ(SameAnswersLine(27, "sync", "async"),
            "identical: 27 requests, same status and byte-identical answers "
            "from sync and async");
  EXPECT_EQ(CodeName(grpc::StatusCode::OK), "OK");
  EXPECT_EQ(CodeName(grpc::StatusCode::RESOURCE_EXHAUSTED),
            "RESOURCE_EXHAUSTED");
}

}  // namespace
}  // namespace asyncgrpc::loadgen
