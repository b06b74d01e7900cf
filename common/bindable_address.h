// Whether a server could listen on HOST:PORT, found out before it tries: gRPC
// and civetweb (the metrics endpoint) report a bad host or a taken port in
// many log lines or not at all, so both services check first and say why in
// one line.
//
//   absl::StatusOr<std::string> numeric =
//       FirstBindableAddress("localhost", "9464", AF_INET);  // "127.0.0.1"
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace asyncgrpc {

// The numeric form of the first of `host`'s addresses of `family` (AF_INET,
// or AF_UNSPEC for any) on which `port` can be bound, tried the way servers
// bind (SO_REUSEADDR: a port left in TIME_WAIT is fine). NOT_FOUND with
// getaddrinfo's words when `host` does not resolve; FAILED_PRECONDITION with
// the last error when no address can be bound.
absl::StatusOr<std::string> FirstBindableAddress(const std::string& host,
                                                 const std::string& port,
                                                 int family);

}  // namespace asyncgrpc
