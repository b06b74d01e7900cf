// libFuzzer target for page tokens: any bytes, taken as a token string, either
// fail to decode or decode to a cursor whose re-encoded token decodes back to
// the same cursor. Also encodes a cursor made of the first 12 bytes and checks
// that it round-trips and is refused for another query shape.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/page_token.h"

namespace asyncgrpc {
namespace {

// A shape no token is ever issued for.
constexpr QueryShape kOtherShape = static_cast<QueryShape>(2);

void CheckEncodedCursor(const PageCursor& cursor) {
  const std::string token = EncodePageToken(cursor);
  absl::StatusOr<PageCursor> back = DecodePageToken(token);
  if (!back.ok() || !(*back == cursor)) {
    std::abort();
  }
  if (DecodePageToken(token, kOtherShape).ok()) {
    std::abort();
  }
}

}  // namespace
}  // namespace asyncgrpc

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using asyncgrpc::DecodePageToken;
  using asyncgrpc::PageCursor;
  const absl::string_view token(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<PageCursor> cursor = DecodePageToken(token);
  if (cursor.ok()) {
    asyncgrpc::CheckEncodedCursor(*cursor);
  }

  if (size >= 12) {
    int32_t number;
    int64_t id;
    std::memcpy(&number, data, sizeof number);
    std::memcpy(&id, data + sizeof number, sizeof id);
    asyncgrpc::CheckEncodedCursor(PageCursor{.number = number, .id = id});
  }
  return 0;
}
