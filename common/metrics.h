// Prometheus metrics of both services, served in the text format at /metrics on
// a port of their own (--metrics_listen): calls by method and status code and
// their server-side latency, recorded by a gRPC server interceptor (so the
// services' handlers know nothing of it), and the state of the database pool,
// sampled when /metrics is scraped. Every series carries the constant label
// service="sync" or service="async":
//
//   asyncgrpc_rpcs_total{method, code}          counter
//   asyncgrpc_rpc_duration_seconds{method}      histogram, 100us .. 10s
//   asyncgrpc_db_connections{state=in_use|idle} gauge, open connections
//   asyncgrpc_db_waiting                        gauge, calls waiting for one
//   asyncgrpc_db_in_flight                      gauge, queries at PostgreSQL
//   asyncgrpc_threads                           gauge, threads of the process
//
// and Prometheus' standard process metrics (common/base/process_stats.h), read
// from /proc/self at scrape time; one that cannot be read is left out of that
// scrape:
//
//   process_cpu_seconds_total                   counter, user + system CPU
//   process_resident_memory_bytes               gauge, RSS
//   process_open_fds                            gauge, open file descriptors
//   process_threads                             gauge, threads of the process
//
// The per-call path takes no lock: a few relaxed atomic increments, and the
// interceptor object gRPC allocates for each call.
//
//   auto metrics = std::make_shared<ServiceMetrics>(
//       "sync", [&pool] { return pool.Stats(); });
//   creators.push_back(NewMetricsInterceptorFactory(metrics));
//   builder.experimental().SetInterceptorCreators(std::move(creators));
//   (then common/metrics_server.h serves them at /metrics)
#pragma once

#include <grpcpp/support/server_interceptor.h>
#include <grpcpp/support/status.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace asyncgrpc {

// The database pool as the gauges show it, sampled at scrape time.
struct DbPoolStats {
  // Open connections serving a call (async: with at least one query in
  // flight).
  int in_use = 0;
  // Open connections with nothing to do.
  int idle = 0;
  // Calls waiting for a connection (sync) / queued and not yet sent (async).
  int waiting = 0;
  // Queries sent to PostgreSQL and not yet answered.
  int in_flight = 0;
};

// The methods with a label of their own; every other name (an unimplemented
// method included) counts as "other", so clients cannot grow the series.
inline constexpr int kMetricsMethodCount = 6;
// The index of a full gRPC method name ("/items.v1.ItemService/GetItem") in
// that table.
int MetricsMethodIndex(absl::string_view full_method);
// Its `method` label: "GetItem", "ListItems", "Check", "Watch",
// "ServerReflectionInfo" or "other".
absl::string_view MetricsMethodLabel(int index);

// Upper bounds in seconds of the latency histogram's buckets: 1, 2.5, 5 per
// decade from 100us to 10s (then +Inf).
inline constexpr std::array<double, 16> kLatencyBucketBounds = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0};
// The first bucket whose bound is at least `elapsed` (Prometheus' "le");
// kLatencyBucketBounds.size() for +Inf.
int LatencyBucket(absl::Duration elapsed);

// The "Threads:" value of a /proc/<pid>/status text; nullopt without one.
std::optional<int> ThreadCountFromProcStatus(absl::string_view status);

// The counters and histograms, and the families a scrape shows. Thread-safe.
class ServiceMetrics final : public prometheus::Collectable {
 public:
  // `service` is the value of the constant label; `db_pool_stats` is called
  // on each scrape (from the metrics server's thread).
  ServiceMetrics(std::string service,
                 std::function<DbPoolStats()> db_pool_stats);
  ServiceMetrics(const ServiceMetrics&) = delete;
  ServiceMetrics& operator=(const ServiceMetrics&) = delete;

  // Counts one finished call of method `method` (MetricsMethodIndex).
  // Lock-free.
  void RecordRpc(int method, grpc::StatusCode code, absl::Duration elapsed);

  // Called by the metrics server on every scrape.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  // grpc::StatusCode OK .. UNAUTHENTICATED.
  static constexpr int kCodeCount = 17;
  static constexpr int kBucketCount = kLatencyBucketBounds.size() + 1;

  // One cache line (or a few) per method, so methods do not share lines.
  struct alignas(64) MethodStats {
    std::array<std::atomic<uint64_t>, kCodeCount> calls{};
    std::array<std::atomic<uint64_t>, kBucketCount> buckets{};
    std::atomic<uint64_t> duration_nanos{0};
  };

  // The families Collect() returns: calls and their latency by method, and
  // the database pool's gauges (when there is a pool).
  void AppendCallFamilies(std::vector<prometheus::MetricFamily>* out) const;
  void AppendPoolFamilies(std::vector<prometheus::MetricFamily>* out) const;

  const std::string service_;
  const std::function<DbPoolStats()> db_pool_stats_;
  std::array<MethodStats, kMetricsMethodCount> methods_;
};

// For ServerBuilder::experimental().SetInterceptorCreators: an interceptor per
// call that records it in `metrics` when its status is sent (as CANCELLED if it
// ends without one). Calls are timed from when gRPC hands them to the server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewMetricsInterceptorFactory(std::shared_ptr<ServiceMetrics> metrics);

}  // namespace asyncgrpc
