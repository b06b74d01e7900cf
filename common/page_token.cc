#include "common/page_token.h"

#include <array>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "common/big_endian.h"

namespace asyncgrpc {
namespace {

constexpr uint8_t kTokenVersion = 1;
// version, shape, number, id, checksum.
constexpr size_t kTokenSize = 1 + 1 + 4 + 8 + 4;
constexpr size_t kChecksumOffset = kTokenSize - 4;

// FNV-1a over a fixed salt and the payload: detects edits and truncation, and
// is deterministic so both services issue byte-identical tokens. It is not a
// secret: the cursor is not confidential.
uint32_t Checksum(absl::string_view payload) {
  constexpr absl::string_view kSalt = "asyncgrpc.items.v1.page_token";
  uint32_t hash = 2166136261u;
  for (absl::string_view part : {kSalt, payload}) {
    for (unsigned char c : part) {
      hash ^= c;
      hash *= 16777619u;
    }
  }
  return hash;
}

absl::Status Malformed() {
  return absl::InvalidArgumentError(
      "page_token is malformed: pass back a next_page_token unchanged");
}

}  // namespace

std::string EncodePageToken(const PageCursor& cursor, QueryShape shape) {
  std::string raw(kTokenSize, '\0');
  raw[0] = static_cast<char>(kTokenVersion);
  raw[1] = static_cast<char>(shape);
  StoreBigEndian(static_cast<uint32_t>(cursor.number), 4, &raw[2]);
  StoreBigEndian(static_cast<uint64_t>(cursor.id), 8, &raw[6]);
  StoreBigEndian(Checksum(absl::string_view(raw).substr(0, kChecksumOffset)), 4,
                 &raw[kChecksumOffset]);
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<PageCursor> DecodePageToken(absl::string_view token,
                                           QueryShape expected_shape) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() != kTokenSize ||
      static_cast<uint8_t>(raw[0]) != kTokenVersion) {
    return Malformed();
  }
  absl::string_view payload = absl::string_view(raw).substr(0, kChecksumOffset);
  if (LoadBigEndian(&raw[kChecksumOffset], 4) != Checksum(payload)) {
    return Malformed();
  }
  if (static_cast<uint8_t>(raw[1]) != static_cast<uint8_t>(expected_shape)) {
    return absl::InvalidArgumentError(
        "page_token was issued for a different query");
  }
  PageCursor cursor;
  cursor.number = static_cast<int32_t>(LoadBigEndian(&raw[2], 4));
  cursor.id = static_cast<int64_t>(LoadBigEndian(&raw[6], 8));
  return cursor;
}

}  // namespace asyncgrpc
