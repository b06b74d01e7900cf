// Keeps gRPC's own log off stderr, where loadgen's progress and one-line
// errors go: gRPC logs multi-line errors (a failed TLS handshake, say) once
// per channel and retry. The last error is kept, to explain an unreachable
// target; GRPC_VERBOSITY set in the environment lets the log through as well.
//
//   KeepGrpcLogOffStderr();
//   ...
//   std::string why = LastGrpcError();  // "" when gRPC logged no error
#pragma once

#include <string>

namespace asyncgrpc::loadgen {

void KeepGrpcLogOffStderr();

// The last error gRPC logged, without its details ("" if none).
std::string LastGrpcError();

}  // namespace asyncgrpc::loadgen
