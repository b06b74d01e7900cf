// Turns ItemService requests into validated query parameters, with the
// INVALID_ARGUMENT messages callers see. Pure logic: no database, shared by
// both services so they reject the same inputs the same way.
//
//   absl::StatusOr<ListItemsQuery> query = ValidateListItems(request);
#pragma once

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "common/page_token.h"
#include "items/v1/items.pb.h"

namespace asyncgrpc {

inline constexpr int32_t kDefaultPageSize = 1000;
inline constexpr int32_t kMaxPageSize = 1000;

struct ListItemsQuery {
  // Items to return: 1..kMaxPageSize.
  int32_t page_size = kDefaultPageSize;
  // Start after this position; nullopt for the first page.
  std::optional<PageCursor> after;
};

// The item id to read; INVALID_ARGUMENT unless it is positive.
absl::StatusOr<int64_t> ValidateGetItem(
    const items::v1::GetItemRequest& request);

// page_size 0 means the default and values above the maximum are coerced to it;
// a negative page_size or a bad page_token is INVALID_ARGUMENT.
absl::StatusOr<ListItemsQuery> ValidateListItems(
    const items::v1::ListItemsRequest& request);

}  // namespace asyncgrpc
