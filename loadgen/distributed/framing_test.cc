#include "loadgen/distributed/framing.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "loadgen/distributed/test_shards.h"
#include "loadgen/report/outputs.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;
using google::protobuf::util::MessageDifferencer;
using test_shards::Shard;

std::string Framed(const pb::Results& results) {
  absl::StatusOr<std::string> framed = FrameResults(results);
  EXPECT_TRUE(framed.ok()) << framed.status();
  return *framed;
}

TEST(FrameResultsTest, ThreeLinesTheMiddleOneIsResultsJson) {
  const pb::Results results = Shard(1);
  const std::string framed = Framed(results);
  const std::vector<std::string> lines =
      absl::StrSplit(framed, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], kResultsBegin);
  EXPECT_EQ(lines[2], kResultsEnd);
  pb::Results back;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(lines[1], &back).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(back, results));
}

TEST(FindResultsBlocksTest, FindsEveryBlockAmongOtherLines) {
  const std::string text = absl::StrCat(
      "waiting 2s for --start_at 2026-11-25T14:00:00Z\n", "[async] step 1/2\n",
      Framed(Shard(0)), "some other line\n", Framed(Shard(1)), "trailing\n");
  absl::StatusOr<std::vector<ResultsBlock>> blocks = FindResultsBlocks(text);
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  ASSERT_EQ(blocks->size(), 2u);
  EXPECT_EQ((*blocks)[0].line, 3);
  EXPECT_EQ((*blocks)[1].line, 7);
  EXPECT_EQ((*blocks)[0].json, *ResultsToJson(Shard(0), true));
  EXPECT_EQ((*blocks)[1].json, *ResultsToJson(Shard(1), true));
  absl::StatusOr<std::vector<ResultsBlock>> none =
      FindResultsBlocks("just a log\nnothing framed\n");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(FindResultsBlocksTest, CrlfTimestampsAndSplitLines) {
  const std::string json = *ResultsToJson(Shard(2), true);
  // A container runtime may split a long line; kubectl --timestamps prefixes
  // each piece with its own time.
  const size_t half = json.size() / 2;
  const std::string text =
      absl::StrCat("2026-11-25T14:00:09.123456789Z ", kResultsBegin, "\r\n",
                   "2026-11-25T14:00:09.123556789Z ", json.substr(0, half),
                   "\r\n", "2026-11-25T14:00:09.1236Z ", json.substr(half),
                   "\r\n", "2026-11-25T14:00:09.2Z ", kResultsEnd, "\r\n");
  absl::StatusOr<std::vector<ResultsBlock>> blocks = FindResultsBlocks(text);
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  ASSERT_EQ(blocks->size(), 1u);
  EXPECT_EQ((*blocks)[0].json, json);
}

TEST(FindResultsBlocksTest, InterleavedPodsAreToldApartByTheirPrefix) {
  // `kubectl logs --prefix -l job-name=loadgen` of two pods, lines interleaved.
  const std::string a = *ResultsToJson(Shard(0), true);
  const std::string b = *ResultsToJson(Shard(1), true);
  const std::string pa = "[pod/loadgen-0-abcde/loadgen] ";
  const std::string pb = "[pod/loadgen-1-fghij/loadgen] ";
  const std::string text = absl::StrCat(
      pa, "progress\n", pa, kResultsBegin, "\n", pb, kResultsBegin, "\n", pb, b,
      "\n", pa, a, "\n", pa, kResultsEnd, "\n", pb, kResultsEnd, "\n");
  absl::StatusOr<std::vector<ResultsBlock>> blocks = FindResultsBlocks(text);
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  ASSERT_EQ(blocks->size(), 2u);
  EXPECT_EQ((*blocks)[0].line, 2);
  EXPECT_EQ((*blocks)[0].json, a);
  EXPECT_EQ((*blocks)[1].json, b);
}

TEST(FindResultsBlocksTest, CutOffBlocksAreErrorsNamingTheLine) {
  const std::string framed = Framed(Shard(0));
  const std::string begin_only = absl::StrCat("x\n", kResultsBegin, "\n{\n");
  absl::StatusOr<std::vector<ResultsBlock>> blocks =
      FindResultsBlocks(begin_only);
  EXPECT_TRUE(absl::IsInvalidArgument(blocks.status()));
  EXPECT_TRUE(absl::StrContains(blocks.status().message(), "line 2"))
      << blocks.status();
  EXPECT_TRUE(absl::StrContains(blocks.status().message(), "never ends"));

  blocks = FindResultsBlocks(absl::StrCat("x\ny\n", kResultsEnd, "\n"));
  EXPECT_TRUE(
      absl::StrContains(blocks.status().message(),
                        "line 3: a results block ends that never began"))
      << blocks.status();

  blocks = FindResultsBlocks(absl::StrCat(kResultsBegin, "\n{\n", framed));
  EXPECT_TRUE(absl::StrContains(blocks.status().message(),
                                "before the one begun at line 1 ended"))
      << blocks.status();
}

}  // namespace
}  // namespace asyncgrpc::loadgen
