#include "loadgen/identical/sample.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

using ::testing::ElementsAre;

TEST(SpreadIdsTest, SpreadsEvenlyWithTheEnds) {
  std::vector<int64_t> ids;
  for (int64_t id = 800; id >= 1; --id) {
    ids.push_back(id);
  }
  const std::vector<int64_t> spread = SpreadIds(ids, 20);
  ASSERT_EQ(spread.size(), 20u);
  EXPECT_EQ(spread.front(), 1);
  EXPECT_EQ(spread.back(), 800);
  for (size_t i = 1; i < spread.size(); ++i) {
    const int64_t gap = spread[i] - spread[i - 1];
    EXPECT_GE(gap, 41) << i;
    EXPECT_LE(gap, 43) << i;
  }
}

TEST(SpreadIdsTest, FewIds) {
  EXPECT_THAT(SpreadIds({3, 1, 2, 2}, 20), ElementsAre(1, 2, 3));
  EXPECT_THAT(SpreadIds({5, 9, 7}, 2), ElementsAre(5, 9));
  EXPECT_THAT(SpreadIds({5, 9, 7}, 1), ElementsAre(5));
  EXPECT_TRUE(SpreadIds({}, 20).empty());
  EXPECT_TRUE(SpreadIds({1, 2}, 0).empty());
}

TEST(RequestsTest, LabelsAndMethods) {
  const Request get = GetItemRequest(25);
  EXPECT_EQ(get.label, "GetItem {id: 25}");
  EXPECT_EQ(get.method, "/items.v1.ItemService/GetItem");
  items::v1::GetItemRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(get.bytes));
  EXPECT_EQ(parsed.id(), 25);
  EXPECT_EQ(ListItemsRequest({}).label, "ListItems {}");
  items::v1::ListItemsRequest page;
  page.set_page_size(100);
  EXPECT_EQ(ListItemsRequest(page).label, "ListItems {page_size: 100}");
  EXPECT_EQ(ListItemsRequest(page, "page 2").label, "page 2");
  EXPECT_EQ(ListItemsRequest(page).method, "/items.v1.ItemService/ListItems");
}

// A table of items 1..`items` served as the services do: pages of page_size
// (1000 by default) with "after:N" tokens, INVALID_ARGUMENT for other tokens
// and id <= 0, NOT_FOUND for unknown ids. Records what it was asked.
class FakeTable {
 public:
  explicit FakeTable(int items) : items_(items) {}

  Answer Serve(const Request& request) {
    labels.push_back(request.label);
    if (request.method == "/items.v1.ItemService/GetItem") {
      items::v1::GetItemRequest get;
      EXPECT_TRUE(get.ParseFromString(request.bytes));
      return Get(get.id());
    }
    items::v1::ListItemsRequest list;
    EXPECT_TRUE(list.ParseFromString(request.bytes));
    return List(list);
  }

  std::vector<std::string> labels;

 private:
  Answer Get(int64_t id) {
    if (id <= 0) {
      return {.code = grpc::StatusCode::INVALID_ARGUMENT, .message = "id"};
    }
    if (id > items_) {
      return {.code = grpc::StatusCode::NOT_FOUND, .message = "no such id"};
    }
    items::v1::Item item;
    item.set_id(id);
    return {.bytes = item.SerializeAsString()};
  }

  Answer List(const items::v1::ListItemsRequest& list) {
    int after = 0;
    if (!list.page_token().empty() &&
        !(list.page_token().starts_with("after:") &&
          absl::SimpleAtoi(list.page_token().substr(6), &after))) {
      return {.code = grpc::StatusCode::INVALID_ARGUMENT,
              .message = "page_token"};
    }
    const int size = list.page_size() == 0 ? 1000 : list.page_size();
    items::v1::ListItemsResponse response;
    for (int id = after + 1; id <= items_ && id <= after + size; ++id) {
      response.add_items()->set_id(id);
    }
    if (after + size < items_) {
      response.set_next_page_token(absl::StrCat("after:", after + size));
    }
    return {.bytes = response.SerializeAsString()};
  }

  const int items_;
};

TEST(RunSampleTest, SendsTheWholeSampleWhenAllAgree) {
  FakeTable table(800);
  std::vector<grpc::StatusCode> codes;
  absl::StatusOr<SampleOutcome> outcome =
      RunSample([&](const Request& request) -> std::optional<Answer> {
        Answer answer = table.Serve(request);
        codes.push_back(answer.code);
        return answer;
      });
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->identical);
  EXPECT_EQ(outcome->requests, 1 + kPages + 1 + kSpreadGets + 2);
  ASSERT_EQ(table.labels.size(), 27u);
  EXPECT_EQ(table.labels[0], "ListItems {}");
  EXPECT_EQ(table.labels[1], "ListItems {page_size: 100}");
  EXPECT_EQ(table.labels[2],
            "ListItems {page_size: 100, page_token: <page 1's "
            "next_page_token>}");
  EXPECT_EQ(table.labels[4], "ListItems {page_token: \"not-a-page-token\"}");
  EXPECT_EQ(codes[4], grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(table.labels[5], "GetItem {id: 1}");
  EXPECT_EQ(table.labels[24], "GetItem {id: 800}");
  EXPECT_EQ(table.labels[25], "GetItem {id: 0}");
  EXPECT_EQ(codes[25], grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(table.labels[26], "GetItem {id: 801}");
  EXPECT_EQ(codes[26], grpc::StatusCode::NOT_FOUND);
}

TEST(RunSampleTest, StopsFollowingPagesAtTheLastOne) {
  FakeTable table(150);
  absl::StatusOr<SampleOutcome> outcome =
      RunSample([&](const Request& request) -> std::optional<Answer> {
        return table.Serve(request);
      });
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->requests, 1 + 2 + 1 + kSpreadGets + 2);
}

TEST(RunSampleTest, StopsAtTheFirstDifference) {
  FakeTable table(800);
  absl::StatusOr<SampleOutcome> outcome =
      RunSample([&](const Request& request) -> std::optional<Answer> {
        Answer answer = table.Serve(request);
        if (request.label == "GetItem {id: 0}") {
          return std::nullopt;
        }
        return answer;
      });
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_FALSE(outcome->identical);
  EXPECT_EQ(outcome->requests, 26);
  EXPECT_EQ(table.labels.back(), "GetItem {id: 0}");
}

TEST(RunSampleTest, AFailedListingLeavesNoIdsToAskFor) {
  int calls = 0;
  absl::StatusOr<SampleOutcome> outcome =
      RunSample([&](const Request&) -> std::optional<Answer> {
        ++calls;
        return Answer{.code = grpc::StatusCode::UNAVAILABLE,
                      .message = "database unreachable"};
      });
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(outcome.status().message().find("UNAVAILABLE"), std::string::npos);
  EXPECT_EQ(calls, 1);
}

TEST(RunSampleTest, ADifferingListingStopsAtOnce) {
  absl::StatusOr<SampleOutcome> outcome = RunSample(
      [](const Request&) -> std::optional<Answer> { return std::nullopt; });
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_FALSE(outcome->identical);
  EXPECT_EQ(outcome->requests, 1);
}

}  // namespace
}  // namespace asyncgrpc::loadgen
