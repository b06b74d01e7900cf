#include "common/request_validation.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace asyncgrpc {

absl::StatusOr<int64_t> ValidateGetItem(
    const items::v1::GetItemRequest& request) {
  if (request.id() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("id must be a positive item id, got ", request.id()));
  }
  return request.id();
}

absl::StatusOr<ListItemsQuery> ValidateListItems(
    const items::v1::ListItemsRequest& request) {
  if (request.page_size() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size must not be negative, got ", request.page_size()));
  }
  ListItemsQuery query;
  query.page_size = request.page_size() == 0
                        ? kDefaultPageSize
                        : std::min(request.page_size(), kMaxPageSize);
  if (!request.page_token().empty()) {
    absl::StatusOr<PageCursor> cursor = DecodePageToken(request.page_token());
    if (!cursor.ok()) {
      return cursor.status();
    }
    query.after = *cursor;
  }
  return query;
}

}  // namespace asyncgrpc
