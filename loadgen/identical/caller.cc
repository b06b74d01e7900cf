#include "loadgen/identical/caller.h"

#include <grpcpp/client_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/stub_options.h>

#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"

namespace asyncgrpc::loadgen {
namespace {

// The bytes of `buffer`, slice after slice, as they arrived.
std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!buffer.Dump(&slices).ok()) {
    return bytes;
  }
  bytes.reserve(buffer.Length());
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

}  // namespace

TargetCaller::TargetCaller(Target target, const ChannelTls& tls)
    : target_(std::move(target)) {
  channel_ = NewTargetChannel(target_.address, tls, /*index=*/0);
  stub_ = std::make_unique<grpc::GenericStub>(channel_);
}

bool TargetCaller::WaitConnected(absl::Time deadline) {
  return channel_->WaitForConnected(absl::ToChronoTime(deadline));
}

Answer TargetCaller::Call(const Request& request) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
  grpc::Slice slice(request.bytes);
  const grpc::ByteBuffer sent(&slice, 1);
  grpc::ByteBuffer received;
  grpc::Status status;
  absl::Notification done;
  stub_->UnaryCall(&context, request.method, grpc::StubOptions(), &sent,
                   &received, [&](grpc::Status call_status) {
                     status = std::move(call_status);
                     done.Notify();
                   });
  done.WaitForNotification();
  Answer answer{.code = status.error_code(), .message = status.error_message()};
  if (status.ok()) {
    answer.bytes = Flatten(received);
  }
  return answer;
}

}  // namespace asyncgrpc::loadgen
