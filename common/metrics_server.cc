#include "common/metrics_server.h"

#include <prometheus/exposer.h>
#include <sys/socket.h>

#include <algorithm>
#include <exception>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/bindable_address.h"

namespace asyncgrpc {
namespace {

// Every civetweb worker (connection) thread serves one scrape at a time; a
// client that stalls is dropped after this.
constexpr char kRequestTimeoutMs[] = "10000";
constexpr char kMetricsThreads[] = "2";

// The IPv4 address `address.host` resolves to first, numeric, that can be
// bound with its port; INVALID_ARGUMENT naming the flag otherwise.
absl::StatusOr<std::string> BindableAddress(absl::string_view listen,
                                            const HostPort& address) {
  absl::StatusOr<std::string> numeric =
      FirstBindableAddress(address.host, absl::StrCat(address.port), AF_INET);
  if (absl::IsNotFound(numeric.status())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--metrics_listen: cannot listen on ", listen, ": cannot resolve \"",
        address.host, "\" to an IPv4 address: ", numeric.status().message()));
  }
  if (!numeric.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_listen: cannot listen on ", listen, ": ",
                     numeric.status().message()));
  }
  return numeric;
}

}  // namespace

absl::StatusOr<HostPort> ParseMetricsListen(absl::string_view listen) {
  auto malformed = [&listen] {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_listen must be HOST:PORT (e.g. 127.0.0.1:9090, "
                     "0.0.0.0:9090), got \"",
                     listen, "\""));
  };
  if (absl::StartsWith(listen, "[") ||
      std::count(listen.begin(), listen.end(), ':') > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--metrics_listen must be an IPv4 address or host name and a port "
        "(the metrics server has no IPv6), got \"",
        listen, "\""));
  }
  const size_t colon = listen.rfind(':');
  HostPort address;
  if (colon == absl::string_view::npos || colon == 0 ||
      colon + 1 == listen.size() ||
      !std::all_of(listen.begin() + colon + 1, listen.end(),
                   absl::ascii_isdigit) ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &address.port) ||
      address.port > 65535) {
    return malformed();
  }
  address.host = std::string(listen.substr(0, colon));
  return address;
}

MetricsServer::MetricsServer(std::unique_ptr<prometheus::Exposer> exposer,
                             std::shared_ptr<prometheus::Collectable> metrics,
                             std::string address)
    : exposer_(std::move(exposer)),
      metrics_(std::move(metrics)),
      address_(std::move(address)) {}

MetricsServer::~MetricsServer() = default;

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    absl::string_view listen,
    std::shared_ptr<prometheus::Collectable> metrics) {
  absl::StatusOr<HostPort> address = ParseMetricsListen(listen);
  if (!address.ok()) {
    return address.status();
  }
  // civetweb neither resolves names nor says why it cannot bind: resolve and
  // try the port here, so the error names the cause.
  absl::StatusOr<std::string> numeric = BindableAddress(listen, *address);
  if (!numeric.ok()) {
    return numeric.status();
  }
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(std::vector<std::string>{
        "listening_ports", absl::StrCat(*numeric, ":", address->port),
        "num_threads", kMetricsThreads, "request_timeout_ms",
        kRequestTimeoutMs});
  } catch (const std::exception& error) {
    // The port was taken between our check and civetweb's bind.
    return absl::InvalidArgumentError(absl::StrCat(
        "--metrics_listen: cannot listen on ", listen, ": ", error.what()));
  }
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--metrics_listen: cannot listen on ", listen, ": no port bound"));
  }
  exposer->RegisterCollectable(metrics);
  return std::unique_ptr<MetricsServer>(
      new MetricsServer(std::move(exposer), std::move(metrics),
                        absl::StrCat(address->host, ":", ports.front())));
}

}  // namespace asyncgrpc
