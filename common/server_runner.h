// Everything a service binary does around its ItemService implementation, once
// for both: listen (plaintext, or TLS with --tls_cert/--tls_key), reflection,
// grpc.health.v1 readiness that follows the database, Prometheus metrics on a
// port of their own (--metrics_listen, common/metrics.h), and a graceful drain
// on SIGTERM/SIGINT.
//
//   int main(int argc, char** argv) {
//     BlockTerminationSignals();  // before any thread starts
//     ...
//     ServerOptions options =
//         PoolServerOptions(config, absl::GetFlag(FLAGS_listen), "sync", pool);
//     absl::Status status = RunServer(service, config.pool.db, options);
#pragma once

#include <grpcpp/server_builder.h>

#include <functional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "common/pg_connection.h"
#include "common/service_config.h"

namespace asyncgrpc {

struct ServerOptions {
  // host:port; port 0 picks a free one.
  std::string listen;
  absl::Duration shutdown_grace = absl::Seconds(10);
  absl::Duration health_check_interval = absl::Seconds(1);
  // Called when draining starts: fail the calls still waiting for a database
  // connection.
  std::function<void()> on_drain;
  // Service-specific builder settings (thread caps, pollers, ...).
  std::function<void(grpc::ServerBuilder&)> configure_builder;
  // host:port serving Prometheus metrics at /metrics (port 0 picks a free one);
  // empty: no metrics, and no interceptor on the calls.
  std::string metrics_listen;
  // The value of the service="..." label on every series: "sync", "async".
  std::string metrics_service;
  // Samples the database pool for the gauges, on each scrape (from the metrics
  // server's thread, so it must be thread-safe).
  std::function<DbPoolStats()> db_pool_stats;
};

// The options both services give RunServer: the shared flags' values from
// `config`, and their pool's part: draining fails the calls still waiting for
// a connection (StopWaiters), the gauges sample its Stats(). `Pool` is
// sync::ConnectionPool or async::AsyncPool, which share those verbs. The
// pool must outlive RunServer.
template <typename Pool>
ServerOptions PoolServerOptions(const ServiceConfig& config, std::string listen,
                                std::string metrics_service, Pool& pool) {
  return {.listen = std::move(listen),
          .shutdown_grace = config.shutdown_grace,
          .health_check_interval = config.health_check_interval,
          .on_drain = [&pool] { pool.StopWaiters(); },
          .metrics_listen = config.metrics_listen,
          .metrics_service = std::move(metrics_service),
          .db_pool_stats = [&pool] { return pool.Stats(); }};
}

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts
// later, so RunServer can wait for them synchronously. Call first thing in
// main().
void BlockTerminationSignals();

// "host:port" with its port replaced by `port`, the one the server bound.
std::string BoundAddress(const std::string& listen, int port);

// Blocks until SIGTERM or SIGINT (blocked by BlockTerminationSignals), then
// says on stderr which came and that draining starts with `grace`.
void WaitForTerminationSignal(absl::Duration grace);

// Serves `service` until SIGTERM or SIGINT, then: health NOT_SERVING, stop
// accepting calls, give in-flight calls `shutdown_grace` to finish, cancel the
// rest, return. Prints "listening on HOST:PORT" on stdout once serving, for
// scripts and tests that pass port 0, then "metrics on HOST:PORT" when it
// serves metrics (until the drain is over, so a scrape shows it). Serves TLS
// when --tls_cert and --tls_key are given (ServerTlsFromFlags).
// INVALID_ARGUMENT, one line naming the cause, when it cannot listen (on either
// address): a malformed address, a host that does not resolve, a port in use,
// unreadable TLS files.
absl::Status RunServer(grpc::Service& service, const DbOptions& db,
                       const ServerOptions& options);

}  // namespace asyncgrpc
