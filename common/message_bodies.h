// The services parse their own request bodies and serialize their own
// responses (gRPC hands them raw bytes), so that a body protobuf refuses — a
// malformed message, or a string field that is not UTF-8 — is the caller's
// INVALID_ARGUMENT on both APIs. Left to gRPC 1.51, the same body gets
// INTERNAL from the sync API and UNIMPLEMENTED from the callback API.
//
//   ASSIGN_OR_RETURN(const int64_t id, ParseGetItem(*body));
//   ...
//   RETURN_IF_ERROR(SerializeResponse(item, *response_body));
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/support/byte_buffer.h>

#include <cstddef>
#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/request_validation.h"

namespace asyncgrpc {

// The full names of ItemService's methods, as gRPC routes them.
inline constexpr char kGetItemMethod[] = "/items.v1.ItemService/GetItem";
inline constexpr char kListItemsMethod[] = "/items.v1.ItemService/ListItems";

// INVALID_ARGUMENT naming the message type when `body` is not a valid
// serialization of `request`'s type.
absl::Status ParseRequest(const grpc::ByteBuffer& body,
                          google::protobuf::Message& request);

// A GetItem / ListItems body, parsed and validated: what both services'
// handlers start with.
absl::StatusOr<int64_t> ParseGetItem(const grpc::ByteBuffer& body);
absl::StatusOr<ListItemsQuery> ParseListItems(const grpc::ByteBuffer& body);

// INTERNAL if protobuf cannot serialize `response` (it never should).
absl::Status SerializeResponse(const google::protobuf::Message& response,
                               grpc::ByteBuffer& body);

// Sets `body` to one slice of exactly `size` bytes that `write` fills (it
// returns the end of what it wrote). INTERNAL naming `message` if `size` is
// over protobuf's 2 GiB limit or `write` wrote another amount. One pass sizes,
// one writes: gRPC's own serializer sizes a message twice and writes through
// a stream.
absl::Status WriteBody(size_t size, absl::string_view message,
                       absl::FunctionRef<uint8_t*(uint8_t*)> write,
                       grpc::ByteBuffer& body);

}  // namespace asyncgrpc
