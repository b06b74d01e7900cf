#include "common/page_token.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace asyncgrpc {
namespace {

using ::testing::HasSubstr;

std::string Decode64(const std::string& token) {
  std::string raw;
  EXPECT_TRUE(absl::WebSafeBase64Unescape(token, &raw)) << token;
  return raw;
}

void ExpectInvalid(absl::string_view token, absl::string_view why) {
  absl::StatusOr<PageCursor> cursor = DecodePageToken(token);
  ASSERT_FALSE(cursor.ok())
      << why << ": token \"" << token << "\" was accepted";
  EXPECT_EQ(cursor.status().code(), absl::StatusCode::kInvalidArgument) << why;
  EXPECT_THAT(cursor.status().message(), HasSubstr("page_token")) << why;
}

TEST(PageTokenTest, RoundTrips) {
  constexpr int32_t kMinInt32 = std::numeric_limits<int32_t>::min();
  constexpr int32_t kMaxInt32 = std::numeric_limits<int32_t>::max();
  constexpr int64_t kMinInt64 = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();
  const std::vector<PageCursor> cursors = {
      {.number = 0, .id = 0},
      {.number = 25, .id = 27},
      {.number = 1, .id = 1},
      {.number = -1, .id = -1},
      {.number = -25, .id = -27},
      {.number = kMaxInt32, .id = kMaxInt64},
      {.number = kMinInt32, .id = kMinInt64},
      {.number = kMaxInt32, .id = kMinInt64},
      {.number = kMinInt32, .id = kMaxInt64},
      {.number = 0x01020304, .id = 0x0102030405060708},
      {.number = 255, .id = int64_t{1} << 32},
  };
  for (const PageCursor& cursor : cursors) {
    const std::string token = EncodePageToken(cursor);
    absl::StatusOr<PageCursor> decoded = DecodePageToken(token);
    ASSERT_TRUE(decoded.ok())
        << "number=" << cursor.number << " id=" << cursor.id << ": "
        << decoded.status();
    EXPECT_EQ(*decoded, cursor)
        << "number=" << cursor.number << " id=" << cursor.id;
  }
}

TEST(PageTokenTest, ExplicitShapeRoundTrips) {
  const PageCursor cursor = {.number = 7, .id = 9};
  absl::StatusOr<PageCursor> decoded =
      DecodePageToken(EncodePageToken(cursor, QueryShape::kItemsByNumberThenId),
                      QueryShape::kItemsByNumberThenId);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, cursor);
}

TEST(PageTokenTest, IsDeterministic) {
  const PageCursor cursor = {.number = 25, .id = 27};
  const std::string token = EncodePageToken(cursor);
  EXPECT_EQ(token, EncodePageToken(cursor));
  EXPECT_EQ(token, EncodePageToken(PageCursor{.number = 25, .id = 27}));
  EXPECT_FALSE(token.empty());
}

TEST(PageTokenTest, DifferentCursorsGiveDifferentTokens) {
  const std::string base = EncodePageToken({.number = 25, .id = 27});
  EXPECT_NE(base, EncodePageToken({.number = 25, .id = 28}));
  EXPECT_NE(base, EncodePageToken({.number = 26, .id = 27}));
  EXPECT_NE(base, EncodePageToken({.number = 27, .id = 25}));
}

TEST(PageTokenTest, IsUrlSafeAndUnpadded) {
  const std::string token = EncodePageToken(
      {.number = -1, .id = std::numeric_limits<int64_t>::min() + 0x3ffffff});
  for (char c : token) {
    EXPECT_TRUE(absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                c == '-' || c == '_')
        << "unexpected character '" << c << "' in " << token;
  }
}

TEST(PageTokenTest, RejectsGarbage) {
  ExpectInvalid("", "empty");
  ExpectInvalid("=", "only padding");
  ExpectInvalid("A", "one character");
  ExpectInvalid("AA", "one byte");
  ExpectInvalid("not a token!", "not base64");
  ExpectInvalid("%%%%%%%%%%%%%%%%%%%%%%%%", "not base64, right length");
  ExpectInvalid("AAAAAAAAAAAAAAAAAAAAAAAA", "all zero bytes");
  ExpectInvalid("////////////////////////", "all 0xff, standard alphabet");
  ExpectInvalid("________________________", "all 0xff, web-safe alphabet");
  ExpectInvalid(std::string(10000, 'A'), "very long");
  ExpectInvalid(absl::string_view("\0\0\0\0", 4), "NUL bytes");
}

TEST(PageTokenTest, RejectsWrongLength) {
  const std::string raw = Decode64(EncodePageToken({.number = 25, .id = 27}));
  ASSERT_EQ(raw.size(), 18u);
  // Truncated, extended and emptied, each re-encoded as valid base64.
  for (size_t size = 0; size < raw.size(); ++size) {
    ExpectInvalid(absl::WebSafeBase64Escape(raw.substr(0, size)),
                  "truncated to " + std::to_string(size) + " bytes");
  }
  ExpectInvalid(absl::WebSafeBase64Escape(raw + '\0'), "one extra NUL byte");
  ExpectInvalid(absl::WebSafeBase64Escape(raw + raw), "doubled");
  // Dropping characters from the base64 text itself.
  const std::string token = EncodePageToken({.number = 25, .id = 27});
  ExpectInvalid(token.substr(0, token.size() - 1), "last character dropped");
  ExpectInvalid(token.substr(1), "first character dropped");
  ExpectInvalid(token + token, "token repeated");
}

TEST(PageTokenTest, RejectsAnySingleFlippedByte) {
  const std::string raw =
      Decode64(EncodePageToken({.number = 25, .id = 0x0123456789abcdef}));
  ASSERT_EQ(raw.size(), 18u);
  for (size_t i = 0; i < raw.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string edited = raw;
      edited[i] = static_cast<char>(edited[i] ^ (1 << bit));
      ExpectInvalid(absl::WebSafeBase64Escape(edited),
                    "byte " + std::to_string(i) + " bit " +
                        std::to_string(bit) + " flipped");
    }
    std::string edited = raw;
    edited[i] = static_cast<char>(~edited[i]);
    ExpectInvalid(absl::WebSafeBase64Escape(edited),
                  "byte " + std::to_string(i) + " inverted");
  }
}

TEST(PageTokenTest, RejectsTokenForAnotherShape) {
  const PageCursor cursor = {.number = 25, .id = 27};
  for (int shape : {0, 2, 3, 127, 128, 255}) {
    const std::string token =
        EncodePageToken(cursor, static_cast<QueryShape>(shape));
    absl::StatusOr<PageCursor> decoded = DecodePageToken(token);
    ASSERT_FALSE(decoded.ok()) << "shape " << shape;
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(decoded.status().message(), HasSubstr("page_token"));
    EXPECT_THAT(decoded.status().message(), HasSubstr("different query"));

    // The same token is accepted by the shape it was issued for.
    absl::StatusOr<PageCursor> same_shape =
        DecodePageToken(token, static_cast<QueryShape>(shape));
    ASSERT_TRUE(same_shape.ok()) << same_shape.status();
    EXPECT_EQ(*same_shape, cursor);
  }
}

TEST(PageTokenTest, ExpectingAnotherShapeRejectsOurToken) {
  absl::StatusOr<PageCursor> decoded = DecodePageToken(
      EncodePageToken({.number = 1, .id = 2}), static_cast<QueryShape>(2));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(decoded.status().message(), HasSubstr("different query"));
}

TEST(PageTokenTest, MalformedMessageTellsCallerWhatToDo) {
  absl::StatusOr<PageCursor> decoded = DecodePageToken("garbage");
  ASSERT_FALSE(decoded.ok());
  EXPECT_THAT(decoded.status().message(), HasSubstr("page_token"));
  EXPECT_THAT(decoded.status().message(), HasSubstr("next_page_token"));
}

}  // namespace
}  // namespace asyncgrpc
