#include "common/message_bodies.h"

#include <grpcpp/support/slice.h>

#include <string>

#include "gtest/gtest.h"
#include "items/v1/items.pb.h"

namespace asyncgrpc {
namespace {

grpc::ByteBuffer BodyOf(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string BytesOf(const grpc::ByteBuffer& body) {
  grpc::Slice slice;
  EXPECT_TRUE(body.TrySingleSlice(&slice).ok() ||
              body.DumpToSingleSlice(&slice).ok());
  return std::string(reinterpret_cast<const char*>(slice.begin()),
                     slice.size());
}

TEST(ParseRequestTest, ParsesAValidBody) {
  items::v1::ListItemsRequest sent;
  sent.set_page_size(7);
  sent.set_page_token("abc");
  items::v1::ListItemsRequest parsed;
  ASSERT_TRUE(ParseRequest(BodyOf(sent.SerializeAsString()), parsed).ok());
  EXPECT_EQ(parsed.page_size(), 7);
  EXPECT_EQ(parsed.page_token(), "abc");
}

TEST(ParseRequestTest, EmptyBodyIsTheDefaultMessage) {
  items::v1::GetItemRequest parsed;
  ASSERT_TRUE(ParseRequest(BodyOf(""), parsed).ok());
  EXPECT_EQ(parsed.id(), 0);
}

TEST(ParseRequestTest, StringFieldThatIsNotUtf8IsInvalidArgument) {
  // Field 2 (page_token), length-delimited, 2 bytes that are not UTF-8.
  const std::string body("\x12\x02\xff\xfe", 4);
  items::v1::ListItemsRequest parsed;
  const absl::Status status = ParseRequest(BodyOf(body), parsed);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "request is not a valid items.v1.ListItemsRequest (malformed "
            "protobuf, or a string field that is not UTF-8)");
}

TEST(ParseRequestTest, MalformedProtobufIsInvalidArgument) {
  for (const std::string& body :
       {std::string("\x08", 1),  // varint field without a value
        std::string("\x12\x05"
                    "ab",
                    4),          // length beyond the body
        std::string("\x0f", 1),  // wire type 7 does not exist
        std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12)}) {
    items::v1::GetItemRequest parsed;
    EXPECT_EQ(ParseRequest(BodyOf(body), parsed).code(),
              absl::StatusCode::kInvalidArgument)
        << body.size();
  }
}

TEST(SerializeResponseTest, RoundTripsTheMessage) {
  items::v1::Item item;
  item.set_id(25);
  item.set_name("Eksatata");
  grpc::ByteBuffer body;
  ASSERT_TRUE(SerializeResponse(item, body).ok());
  EXPECT_EQ(BytesOf(body), item.SerializeAsString());
}

TEST(MethodNamesTest, MatchTheProto) {
  const google::protobuf::ServiceDescriptor* service =
      items::v1::GetItemRequest::descriptor()->file()->FindServiceByName(
          "ItemService");
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(kGetItemMethod, "/" + service->full_name() + "/" +
                                service->FindMethodByName("GetItem")->name());
  EXPECT_EQ(kListItemsMethod,
            "/" + service->full_name() + "/" +
                service->FindMethodByName("ListItems")->name());
}

}  // namespace
}  // namespace asyncgrpc
