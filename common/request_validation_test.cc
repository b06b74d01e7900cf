#include "common/request_validation.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "common/page_token.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "items/v1/items.pb.h"

namespace asyncgrpc {
namespace {

using ::testing::HasSubstr;

items::v1::GetItemRequest GetRequest(int64_t id) {
  items::v1::GetItemRequest request;
  request.set_id(id);
  return request;
}

items::v1::ListItemsRequest ListRequest(int32_t page_size,
                                        const std::string& page_token = "") {
  items::v1::ListItemsRequest request;
  request.set_page_size(page_size);
  request.set_page_token(page_token);
  return request;
}

TEST(ValidateGetItemTest, RejectsZeroId) {
  absl::StatusOr<int64_t> id = ValidateGetItem(GetRequest(0));
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(id.status().message(), HasSubstr("id"));
  EXPECT_THAT(id.status().message(), HasSubstr("0"));
}

TEST(ValidateGetItemTest, RejectsUnsetId) {
  absl::StatusOr<int64_t> id = ValidateGetItem(items::v1::GetItemRequest());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ValidateGetItemTest, RejectsNegativeIds) {
  for (int64_t value :
       {int64_t{-1}, int64_t{-27}, std::numeric_limits<int64_t>::min()}) {
    absl::StatusOr<int64_t> id = ValidateGetItem(GetRequest(value));
    ASSERT_FALSE(id.ok()) << value;
    EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument) << value;
    EXPECT_THAT(id.status().message(), HasSubstr("id")) << value;
    EXPECT_THAT(id.status().message(), HasSubstr(std::to_string(value)));
  }
}

TEST(ValidateGetItemTest, AcceptsPositiveIds) {
  for (int64_t value :
       {int64_t{1}, int64_t{27}, std::numeric_limits<int64_t>::max()}) {
    absl::StatusOr<int64_t> id = ValidateGetItem(GetRequest(value));
    ASSERT_TRUE(id.ok()) << value << ": " << id.status();
    EXPECT_EQ(*id, value);
  }
}

TEST(ValidateListItemsTest, RejectsNegativePageSize) {
  for (int32_t page_size : {-1, -1000, std::numeric_limits<int32_t>::min()}) {
    absl::StatusOr<ListItemsQuery> query =
        ValidateListItems(ListRequest(page_size));
    ASSERT_FALSE(query.ok()) << page_size;
    EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(query.status().message(), HasSubstr("page_size"));
    EXPECT_THAT(query.status().message(), HasSubstr(std::to_string(page_size)));
  }
}

TEST(ValidateListItemsTest, NegativePageSizeIsReportedBeforeBadToken) {
  absl::StatusOr<ListItemsQuery> query =
      ValidateListItems(ListRequest(-1, "garbage"));
  ASSERT_FALSE(query.ok());
  EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(query.status().message(), HasSubstr("page_size"));
}

TEST(ValidateListItemsTest, ZeroPageSizeMeansDefault) {
  absl::StatusOr<ListItemsQuery> query = ValidateListItems(ListRequest(0));
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->page_size, kDefaultPageSize);
  EXPECT_EQ(query->page_size, 1000);
  EXPECT_FALSE(query->after.has_value());
}

TEST(ValidateListItemsTest, EmptyRequestMeansFirstDefaultPage) {
  absl::StatusOr<ListItemsQuery> query =
      ValidateListItems(items::v1::ListItemsRequest());
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->page_size, 1000);
  EXPECT_FALSE(query->after.has_value());
}

TEST(ValidateListItemsTest, LargePageSizeIsCoercedToMaximum) {
  for (int32_t page_size : {1001, 5000, std::numeric_limits<int32_t>::max()}) {
    absl::StatusOr<ListItemsQuery> query =
        ValidateListItems(ListRequest(page_size));
    ASSERT_TRUE(query.ok()) << page_size << ": " << query.status();
    EXPECT_EQ(query->page_size, kMaxPageSize) << page_size;
    EXPECT_EQ(query->page_size, 1000) << page_size;
  }
}

TEST(ValidateListItemsTest, PageSizeInRangeIsKept) {
  for (int32_t page_size : {1, 7, 999, 1000}) {
    absl::StatusOr<ListItemsQuery> query =
        ValidateListItems(ListRequest(page_size));
    ASSERT_TRUE(query.ok()) << page_size << ": " << query.status();
    EXPECT_EQ(query->page_size, page_size);
    EXPECT_FALSE(query->after.has_value());
  }
}

TEST(ValidateListItemsTest, RejectsBadPageToken) {
  for (const std::string& token :
       {std::string("garbage"), std::string("AAAA"),
        EncodePageToken({.number = 1, .id = 2}).substr(1),
        EncodePageToken({.number = 1, .id = 2}, static_cast<QueryShape>(9))}) {
    absl::StatusOr<ListItemsQuery> query =
        ValidateListItems(ListRequest(7, token));
    ASSERT_FALSE(query.ok()) << token;
    EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument)
        << token;
    EXPECT_THAT(query.status().message(), HasSubstr("page_token")) << token;
  }
}

TEST(ValidateListItemsTest, GoodPageTokenSetsCursor) {
  const PageCursor cursor = {.number = 25, .id = 27};
  absl::StatusOr<ListItemsQuery> query =
      ValidateListItems(ListRequest(7, EncodePageToken(cursor)));
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->page_size, 7);
  ASSERT_TRUE(query->after.has_value());
  EXPECT_EQ(*query->after, cursor);
}

TEST(ValidateListItemsTest, GoodPageTokenWithDefaultPageSize) {
  const PageCursor cursor = {.number = -3, .id = 1234567890123};
  absl::StatusOr<ListItemsQuery> query =
      ValidateListItems(ListRequest(0, EncodePageToken(cursor)));
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->page_size, 1000);
  ASSERT_TRUE(query->after.has_value());
  EXPECT_EQ(*query->after, cursor);
}

}  // namespace
}  // namespace asyncgrpc
