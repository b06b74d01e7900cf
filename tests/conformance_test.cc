// Both services must give the same answers to the same requests, byte for byte:
// same rows, same order, same page tokens, same error codes and messages. Only
// the concurrency model may differ.
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/service_harness.h"

namespace asyncgrpc::testing {
namespace {

using items::v1::GetItemRequest;
using items::v1::Item;
using items::v1::ListItemsRequest;
using items::v1::ListItemsResponse;

struct Answer {
  grpc::StatusCode code;
  std::string message;
  std::string bytes;  // the serialized response

  friend bool operator==(const Answer&, const Answer&) = default;
};

void PrintTo(const Answer& answer, std::ostream* os) {
  *os << "code " << answer.code << " \"" << answer.message << "\" "
      << answer.bytes.size() << " bytes";
}

class ConformanceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    for (const ServiceKind& kind : AllServices()) {
      auto service = RunningService::Start(kind, SharedDatabaseUri());
      ASSERT_TRUE(service.ok()) << kind.name << ": " << service.status();
      stubs_->push_back((*service)->NewStub());
      services_->push_back(*std::move(service));
    }
  }
  static void TearDownTestSuite() {
    stubs_->clear();
    services_->clear();
  }

  // The answer of every service to the same GetItem request.
  static std::vector<Answer> GetItem(int64_t id) {
    std::vector<Answer> answers;
    for (auto& stub : *stubs_) {
      GetItemRequest request;
      request.set_id(id);
      Item item;
      auto context = ContextWithTimeout(absl::Seconds(10));
      grpc::Status status = stub->GetItem(context.get(), request, &item);
      answers.push_back({status.error_code(), status.error_message(),
                         item.SerializeAsString()});
    }
    return answers;
  }

  static std::vector<Answer> ListItems(int32_t page_size,
                                       const std::string& token) {
    std::vector<Answer> answers;
    for (auto& stub : *stubs_) {
      ListItemsRequest request;
      request.set_page_size(page_size);
      request.set_page_token(token);
      ListItemsResponse response;
      auto context = ContextWithTimeout(absl::Seconds(10));
      grpc::Status status = stub->ListItems(context.get(), request, &response);
      answers.push_back({status.error_code(), status.error_message(),
                         response.SerializeAsString()});
    }
    return answers;
  }

  static void ExpectAllEqual(const std::vector<Answer>& answers,
                             const std::string& what) {
    ASSERT_EQ(answers.size(), AllServices().size());
    for (size_t i = 1; i < answers.size(); ++i) {
      EXPECT_EQ(answers[i], answers[0])
          << what << ": " << AllServices()[i].name << " differs from "
          << AllServices()[0].name;
    }
  }

  static inline auto* services_ =
      new std::vector<std::unique_ptr<RunningService>>();
  static inline auto* stubs_ =
      new std::vector<std::unique_ptr<items::v1::ItemService::Stub>>();
};

TEST_F(ConformanceTest, GetItemAnswersAreIdentical) {
  for (int64_t id : {int64_t{1}, int64_t{25}, int64_t{400}, int64_t{800},
                     int64_t{801}, int64_t{0}, int64_t{-7}}) {
    ExpectAllEqual(GetItem(id), absl::StrCat("GetItem ", id));
  }
}

// --serve_from_memory (scripts/ceilings' no-database endpoint) must answer
// GetItem exactly as the database path does in either service, or the
// no-database ceilings and loadgen vs h2load would measure a different call.
TEST_F(ConformanceTest, ServeFromMemoryAnswersGetItemAsTheDatabaseDoes) {
  for (const ServiceKind& kind : AllServices()) {
    SCOPED_TRACE(kind.name);
    // The memory path skips the simulated upstream call too, so answers
    // within the 10 s deadline below show that it, not the database path
    // (which would wait 60 s), gave them.
    auto memory =
        RunningService::Start(kind, SharedDatabaseUri(),
                              {"--serve_from_memory", "--upstream_delay=60s"});
    ASSERT_TRUE(memory.ok()) << memory.status();
    auto stub = (*memory)->NewStub();
    for (int64_t id : {int64_t{1}, int64_t{25}, int64_t{400}, int64_t{800},
                       int64_t{801}, int64_t{0}, int64_t{-7}}) {
      const std::vector<Answer> from_database = GetItem(id);
      GetItemRequest request;
      request.set_id(id);
      Item item;
      auto context = ContextWithTimeout(absl::Seconds(10));
      const grpc::Status status = stub->GetItem(context.get(), request, &item);
      const Answer from_memory{status.error_code(), status.error_message(),
                               item.SerializeAsString()};
      EXPECT_EQ(from_memory, from_database[0]) << "GetItem " << id;
    }
  }
}

TEST_F(ConformanceTest, EveryPageAndTokenIsIdentical) {
  ExpectAllEqual(ListItems(0, ""), "default list");
  ExpectAllEqual(ListItems(5000, ""), "page_size 5000");
  ExpectAllEqual(ListItems(-1, ""), "page_size -1");
  ExpectAllEqual(ListItems(10, "garbage"), "garbage token");
  std::string token;
  int pages = 0;
  do {
    std::vector<Answer> answers = ListItems(33, token);
    ExpectAllEqual(answers, absl::StrCat("page ", pages));
    ASSERT_EQ(answers[0].code, grpc::StatusCode::OK);
    ListItemsResponse page;
    ASSERT_TRUE(page.ParseFromString(answers[0].bytes));
    token = page.next_page_token();
    ASSERT_LT(++pages, 100);
  } while (!token.empty());
  EXPECT_EQ(pages, 25);  // ceil(800 / 33)
}

}  // namespace
}  // namespace asyncgrpc::testing
