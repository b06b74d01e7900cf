#include "common/message_bodies.h"

#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/slice.h>

#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "items/v1/items.pb.h"

namespace asyncgrpc {

absl::Status ParseRequest(const grpc::ByteBuffer& body,
                          google::protobuf::Message& request) {
  // ProtoBufferReader wants a mutable buffer; the copy only refs the slices.
  grpc::ByteBuffer copy(body);
  grpc::ProtoBufferReader reader(&copy);
  if (!reader.status().ok() || !request.ParseFromZeroCopyStream(&reader)) {
    request.Clear();
    return absl::InvalidArgumentError(absl::StrCat(
        "request is not a valid ", request.GetDescriptor()->full_name(),
        " (malformed protobuf, or a string field that is not UTF-8)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ParseGetItem(const grpc::ByteBuffer& body) {
  items::v1::GetItemRequest request;
  RETURN_IF_ERROR(ParseRequest(body, request));
  return ValidateGetItem(request);
}

absl::StatusOr<ListItemsQuery> ParseListItems(const grpc::ByteBuffer& body) {
  items::v1::ListItemsRequest request;
  RETURN_IF_ERROR(ParseRequest(body, request));
  return ValidateListItems(request);
}

absl::Status SerializeResponse(const google::protobuf::Message& response,
                               grpc::ByteBuffer& body) {
  // One pass sizes, one writes (WriteBody): less CPU in bench/ than gRPC's
  // SerializationTraits, which sizes twice and writes through a stream
  // (figures: docs/performance.md, "Figures behind choices in the code").
  return WriteBody(
      response.ByteSizeLong(), response.GetDescriptor()->full_name(),
      [&response](uint8_t* out) {
        return response.SerializeWithCachedSizesToArray(out);
      },
      body);
}

absl::Status WriteBody(size_t size, absl::string_view message,
                       absl::FunctionRef<uint8_t*(uint8_t*)> write,
                       grpc::ByteBuffer& body) {
  if (size > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return absl::InternalError(absl::StrCat("cannot serialize ", message, ": ",
                                            size,
                                            " bytes is over protobuf's 2 GiB "
                                            "limit"));
  }
  grpc::Slice slice(size);
  uint8_t* const begin = const_cast<uint8_t*>(slice.begin());
  if (const uint8_t* end = write(begin); end != begin + size) {
    return absl::InternalError(absl::StrCat("cannot serialize ", message,
                                            ": sized ", size,
                                            " bytes but wrote ", end - begin));
  }
  grpc::ByteBuffer serialized(&slice, 1);
  body.Swap(&serialized);
  return absl::OkStatus();
}

}  // namespace asyncgrpc
