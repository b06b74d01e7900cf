// One target of `loadgen identical`, called without stubs of the items API:
// a request goes out as the bytes it was given and the answer comes back as
// the bytes that arrived (grpc::GenericStub over ByteBuffers), so nothing is
// parsed and serialized again on the way. One channel per target, the one a
// run's workload uses (core/channel.h: plaintext, or TLS with --tls_ca).
//
//   TargetCaller caller({.name = "sync", .address = "127.0.0.1:50051"}, {});
//   if (!caller.WaitConnected(absl::Now() + absl::Seconds(3))) { ... }
//   Answer answer = caller.Call(GetItemRequest(25));
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/generic/generic_stub.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "loadgen/core/channel.h"
#include "loadgen/core/notation.h"
#include "loadgen/identical/answers.h"
#include "loadgen/identical/sample.h"

namespace asyncgrpc::loadgen {

inline constexpr absl::Duration kCallDeadline = absl::Seconds(10);

class TargetCaller {
 public:
  TargetCaller(Target target, const ChannelTls& tls);

  const Target& target() const { return target_; }

  // Whether the channel connected before `deadline`.
  bool WaitConnected(absl::Time deadline);

  // Sends `request` with a deadline of kCallDeadline and waits for its
  // answer.
  Answer Call(const Request& request);

 private:
  const Target target_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::GenericStub> stub_;
};

}  // namespace asyncgrpc::loadgen
