// How loadgen reaches a target: one gRPC channel, plaintext or TLS, retries
// off (a failed call is counted, never hidden), round robin over every address
// the name resolves to (a headless Kubernetes Service: every ready pod).
//
//   std::shared_ptr<grpc::Channel> channel =
//       NewTargetChannel("127.0.0.1:50051", {.root_certs_pem = pem}, 0);
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <string>

namespace asyncgrpc::loadgen {

struct ChannelTls {
  // PEM root certificates to trust (--tls_ca's contents); empty: plaintext.
  std::string root_certs_pem;
  // The name the certificate must carry, when not the target's host
  // (--tls_server_name).
  std::string server_name;
};

// Channels with distinct `index` get TCP connections of their own.
std::shared_ptr<grpc::Channel> NewTargetChannel(const std::string& address,
                                                const ChannelTls& tls,
                                                int index);

}  // namespace asyncgrpc::loadgen
