#include "common/message_bodies.h"

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
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
  bool own_buffer = false;
  const grpc::Status status =
      grpc::SerializationTraits<google::protobuf::Message>::Serialize(
          response, &body, &own_buffer);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot serialize ", response.GetDescriptor()->full_name(),
                     ": ", status.error_message()));
  }
  return absl::OkStatus();
}

}  // namespace asyncgrpc
