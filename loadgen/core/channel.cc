#include "loadgen/core/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

namespace asyncgrpc::loadgen {

std::shared_ptr<grpc::Channel> NewTargetChannel(const std::string& address,
                                                const ChannelTls& tls,
                                                int index) {
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::InsecureChannelCredentials();
  if (!tls.root_certs_pem.empty()) {
    credentials = grpc::SslCredentials({.pem_root_certs = tls.root_certs_pem});
  }
  grpc::ChannelArguments args;
  // Distinct args: each channel gets its own TCP connection.
  args.SetInt("loadgen.channel", index);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  // A headless Kubernetes Service's name resolves to every ready pod:
  // spread calls over all of them, not only the first address.
  args.SetLoadBalancingPolicyName("round_robin");
  if (!tls.server_name.empty()) {
    args.SetSslTargetNameOverride(tls.server_name);
  }
  return grpc::CreateCustomChannel(address, credentials, args);
}

}  // namespace asyncgrpc::loadgen
