// The services' /metrics endpoint on a port of its own (--metrics_listen):
// prometheus-cpp's Exposer (civetweb) serving a Collectable such as
// ServiceMetrics (common/metrics.h), with errors that name the flag.
//
//   absl::StatusOr<std::unique_ptr<MetricsServer>> server =
//       MetricsServer::Start("127.0.0.1:0", metrics);
//   std::cout << "metrics on " << (*server)->address();  // the real port
#pragma once

#include <prometheus/collectable.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace asyncgrpc {

// --metrics_listen's value split into host and port: INVALID_ARGUMENT naming
// the flag unless it is HOST:PORT with a port in 0..65535 and a host that is
// an IPv4 address or a name (Debian's civetweb, under prometheus-cpp's
// Exposer, has no IPv6).
struct HostPort {
  std::string host;
  int port = 0;
};
absl::StatusOr<HostPort> ParseMetricsListen(absl::string_view listen);

// The HTTP endpoint: prometheus-cpp's Exposer (civetweb) serving
// `metrics.Collect()` at /metrics. Stops serving when destroyed.
class MetricsServer {
 public:
  // Listens on `listen` (HOST:PORT, port 0 picks a free one). INVALID_ARGUMENT
  // naming --metrics_listen, in one line, when the value is malformed, the host
  // does not resolve to an IPv4 address or the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      absl::string_view listen,
      std::shared_ptr<prometheus::Collectable> metrics);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // HOST:PORT as given, with the port actually bound.
  const std::string& address() const { return address_; }

 private:
  MetricsServer(std::unique_ptr<prometheus::Exposer> exposer,
                std::shared_ptr<prometheus::Collectable> metrics,
                std::string address);

  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<prometheus::Collectable> metrics_;
  std::string address_;
};

}  // namespace asyncgrpc
