// Opaque keyset page tokens for ListItems. A token encodes the last (number,
// id) a page returned, the query shape it belongs to and a checksum, so a
// garbled, edited or foreign token is rejected with INVALID_ARGUMENT instead of
// silently returning the wrong page.
//
//   std::string token = EncodePageToken({.number = 25, .id = 27});
//   absl::StatusOr<PageCursor> cursor = DecodePageToken(token);
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace asyncgrpc {

// Position after which the next page starts, in ListItems' (number, id) order.
struct PageCursor {
  int32_t number = 0;
  int64_t id = 0;

  friend bool operator==(const PageCursor&, const PageCursor&) = default;
};

// The query a token was issued for. Only one exists today; a token from another
// shape (a future ordering or filter) must not be accepted as if it were ours.
enum class QueryShape : uint8_t {
  kItemsByNumberThenId = 1,
};

std::string EncodePageToken(
    const PageCursor& cursor,
    QueryShape shape = QueryShape::kItemsByNumberThenId);

// Decodes a token for `expected_shape`; INVALID_ARGUMENT with a message naming
// page_token otherwise.
absl::StatusOr<PageCursor> DecodePageToken(
    absl::string_view token,
    QueryShape expected_shape = QueryShape::kItemsByNumberThenId);

}  // namespace asyncgrpc
