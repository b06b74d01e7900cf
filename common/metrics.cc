#include "common/metrics.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/process_stats.h"

namespace asyncgrpc {
namespace {

struct KnownMethod {
  absl::string_view full_name;
  absl::string_view label;
};

// The last entry stands for every other name.
constexpr std::array<KnownMethod, kMetricsMethodCount> kMethods = {{
    {"/items.v1.ItemService/GetItem", "GetItem"},
    {"/items.v1.ItemService/ListItems", "ListItems"},
    {"/grpc.health.v1.Health/Check", "Check"},
    {"/grpc.health.v1.Health/Watch", "Watch"},
    {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
     "ServerReflectionInfo"},
    {"", "other"},
}};
constexpr int kOtherMethod = kMetricsMethodCount - 1;
// ItemService's methods: their OK count and histogram are shown from the
// start, so rate() has a first sample.
constexpr int kAlwaysShownMethods = 2;

constexpr uint64_t BoundNanos(double seconds) {
  return static_cast<uint64_t>(seconds * 1e9 + 0.5);
}

constexpr std::array<uint64_t, kLatencyBucketBounds.size()> kBucketNanos = [] {
  std::array<uint64_t, kLatencyBucketBounds.size()> nanos = {};
  for (size_t i = 0; i < nanos.size(); ++i) {
    nanos[i] = BoundNanos(kLatencyBucketBounds[i]);
  }
  return nanos;
}();

int LatencyBucketOfNanos(uint64_t nanos) {
  int bucket = 0;
  while (bucket < static_cast<int>(kBucketNanos.size()) &&
         nanos > kBucketNanos[bucket]) {
    ++bucket;
  }
  return bucket;
}

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(std::shared_ptr<ServiceMetrics> metrics, int method)
      : metrics_(std::move(metrics)),
        method_(method),
        start_(std::chrono::steady_clock::now()) {}

  // A call torn down without a status sent (cancelled under us).
  ~MetricsInterceptor() override {
    hooks_run_.load(std::memory_order_acquire);
    if (!recorded_.load(std::memory_order_relaxed)) {
      Record(grpc::StatusCode::CANCELLED);
    }
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus().error_code());
    }
    // Before Proceed(), after which the call may be destroyed on another
    // thread.
    hooks_run_.fetch_add(1, std::memory_order_acq_rel);
    methods->Proceed();
  }

 private:
  void Record(grpc::StatusCode code) {
    recorded_.store(true, std::memory_order_relaxed);
    metrics_->RecordRpc(
        method_, code,
        absl::FromChrono(std::chrono::steady_clock::now() - start_));
  }

  const std::shared_ptr<ServiceMetrics> metrics_;
  const int method_;
  const std::chrono::steady_clock::time_point start_;
  // gRPC runs a call's hooks and then destroys it on whichever of its threads,
  // ordering them inside libgrpc, where ThreadSanitizer cannot see. Each hook
  // releases this and the destructor acquires it, so the order is visible to
  // TSan too (for the real machine it costs one uncontended increment).
  std::atomic<int> hooks_run_{0};
  // Set by a hook, read by the destructor.
  std::atomic<bool> recorded_{false};
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(std::shared_ptr<ServiceMetrics> metrics)
      : metrics_(std::move(metrics)) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, MetricsMethodIndex(info->method()));
  }

 private:
  const std::shared_ptr<ServiceMetrics> metrics_;
};

prometheus::ClientMetric::Label Label(std::string name, std::string value) {
  return {.name = std::move(name), .value = std::move(value)};
}

prometheus::MetricFamily Family(std::string name, std::string help,
                                prometheus::MetricType type) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

// One gauge sample.
prometheus::ClientMetric Gauge(
    std::vector<prometheus::ClientMetric::Label> labels, double value) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  return metric;
}

std::optional<int> ThreadCount() {
  std::ifstream in("/proc/self/status");
  std::stringstream text;
  text << in.rdbuf();
  return ThreadCountFromProcStatus(text.str());
}

// A family of one sample labelled service=`service`.
prometheus::MetricFamily OneSample(std::string name, std::string help,
                                   prometheus::MetricType type,
                                   const std::string& service, double value) {
  prometheus::MetricFamily family =
      Family(std::move(name), std::move(help), type);
  prometheus::ClientMetric metric;
  metric.label = {Label("service", service)};
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

// Prometheus' standard process metrics, under the names and types its client
// libraries use, so dashboards (and loadgen's CPU column) find them. One that
// cannot be read now is left out of this scrape rather than failing it.
void AppendProcessFamilies(const std::string& service,
                           std::vector<prometheus::MetricFamily>* families) {
  using prometheus::MetricType;
  const ProcessStats stats = ReadProcessStats();
  if (stats.cpu_seconds.has_value()) {
    families->push_back(
        OneSample("process_cpu_seconds_total",
                  "Total user and system CPU time spent in seconds.",
                  MetricType::Counter, service, *stats.cpu_seconds));
  }
  if (stats.resident_bytes.has_value()) {
    families->push_back(OneSample(
        "process_resident_memory_bytes", "Resident memory size in bytes.",
        MetricType::Gauge, service, *stats.resident_bytes));
  }
  if (stats.open_fds.has_value()) {
    families->push_back(OneSample(
        "process_open_fds", "Number of open file descriptors.",
        MetricType::Gauge, service, static_cast<double>(*stats.open_fds)));
  }
  if (stats.threads.has_value()) {
    families->push_back(OneSample(
        "process_threads", "Number of OS threads in the process.",
        MetricType::Gauge, service, static_cast<double>(*stats.threads)));
  }
}

}  // namespace

int MetricsMethodIndex(absl::string_view full_method) {
  for (int i = 0; i < kOtherMethod; ++i) {
    if (kMethods[i].full_name == full_method) {
      return i;
    }
  }
  return kOtherMethod;
}

absl::string_view MetricsMethodLabel(int index) {
  return kMethods[index >= 0 && index < kMetricsMethodCount ? index
                                                            : kOtherMethod]
      .label;
}

int LatencyBucket(absl::Duration elapsed) {
  if (elapsed <= absl::ZeroDuration()) {
    return 0;
  }
  const int64_t nanos = absl::ToInt64Nanoseconds(elapsed);
  return LatencyBucketOfNanos(static_cast<uint64_t>(nanos));
}

std::optional<int> ThreadCountFromProcStatus(absl::string_view status) {
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (absl::ConsumePrefix(&line, "Threads:")) {
      int threads = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &threads) &&
          threads > 0) {
        return threads;
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

ServiceMetrics::ServiceMetrics(std::string service,
                               std::function<DbPoolStats()> db_pool_stats)
    : service_(std::move(service)), db_pool_stats_(std::move(db_pool_stats)) {}

void ServiceMetrics::RecordRpc(int method, grpc::StatusCode code,
                               absl::Duration elapsed) {
  if (method < 0 || method >= kMetricsMethodCount) {
    method = kOtherMethod;
  }
  int code_index = static_cast<int>(code);
  if (code_index < 0 || code_index >= kCodeCount) {
    code_index = static_cast<int>(grpc::StatusCode::UNKNOWN);
  }
  const uint64_t nanos =
      elapsed > absl::ZeroDuration()
          ? static_cast<uint64_t>(absl::ToInt64Nanoseconds(elapsed))
          : 0;
  MethodStats& stats = methods_[method];
  stats.calls[code_index].fetch_add(1, std::memory_order_relaxed);
  stats.buckets[LatencyBucketOfNanos(nanos)].fetch_add(
      1, std::memory_order_relaxed);
  stats.duration_nanos.fetch_add(nanos, std::memory_order_relaxed);
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewMetricsInterceptorFactory(std::shared_ptr<ServiceMetrics> metrics) {
  return std::make_unique<MetricsInterceptorFactory>(std::move(metrics));
}

std::vector<prometheus::MetricFamily> ServiceMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> families;
  AppendCallFamilies(&families);
  AppendPoolFamilies(&families);
  if (const std::optional<int> threads = ThreadCount(); threads.has_value()) {
    prometheus::MetricFamily family =
        Family("asyncgrpc_threads", "Threads of the process.",
               prometheus::MetricType::Gauge);
    family.metric.push_back(Gauge({Label("service", service_)}, *threads));
    families.push_back(std::move(family));
  }
  AppendProcessFamilies(service_, &families);
  return families;
}

void ServiceMetrics::AppendCallFamilies(
    std::vector<prometheus::MetricFamily>* families) const {
  using prometheus::MetricType;
  prometheus::MetricFamily rpcs = Family(
      "asyncgrpc_rpcs_total", "Calls finished, by method and gRPC status code.",
      MetricType::Counter);
  prometheus::MetricFamily durations =
      Family("asyncgrpc_rpc_duration_seconds",
             "Server-side time from a call's start to its status being sent.",
             MetricType::Histogram);
  for (int method = 0; method < kMetricsMethodCount; ++method) {
    const MethodStats& stats = methods_[method];
    const std::string method_label(MetricsMethodLabel(method));
    for (int code = 0; code < kCodeCount; ++code) {
      const uint64_t calls = stats.calls[code].load(std::memory_order_relaxed);
      if (calls == 0 && !(method < kAlwaysShownMethods && code == 0)) {
        continue;
      }
      prometheus::ClientMetric metric;
      metric.label = {Label("service", service_), Label("method", method_label),
                      Label("code", absl::StatusCodeToString(
                                        static_cast<absl::StatusCode>(code)))};
      metric.counter.value = static_cast<double>(calls);
      rpcs.metric.push_back(std::move(metric));
    }
    // The count is the sum of the buckets read, so it always equals +Inf.
    prometheus::ClientMetric metric;
    metric.label = {Label("service", service_), Label("method", method_label)};
    uint64_t cumulative = 0;
    for (int bucket = 0; bucket < kBucketCount; ++bucket) {
      cumulative += stats.buckets[bucket].load(std::memory_order_relaxed);
      metric.histogram.bucket.push_back(
          {.cumulative_count = cumulative,
           .upper_bound = bucket < static_cast<int>(kLatencyBucketBounds.size())
                              ? kLatencyBucketBounds[bucket]
                              : std::numeric_limits<double>::infinity()});
    }
    if (cumulative == 0 && method >= kAlwaysShownMethods) {
      continue;
    }
    metric.histogram.sample_count = cumulative;
    metric.histogram.sample_sum = static_cast<double>(stats.duration_nanos.load(
                                      std::memory_order_relaxed)) /
                                  1e9;
    durations.metric.push_back(std::move(metric));
  }
  families->push_back(std::move(rpcs));
  families->push_back(std::move(durations));
}

void ServiceMetrics::AppendPoolFamilies(
    std::vector<prometheus::MetricFamily>* families) const {
  using prometheus::MetricType;
  if (db_pool_stats_) {
    const DbPoolStats pool = db_pool_stats_();
    prometheus::MetricFamily connections = Family(
        "asyncgrpc_db_connections",
        "Open database connections of the pool: serving a call (in_use) or "
        "not (idle).",
        MetricType::Gauge);
    connections.metric.push_back(Gauge(
        {Label("service", service_), Label("state", "in_use")}, pool.in_use));
    connections.metric.push_back(
        Gauge({Label("service", service_), Label("state", "idle")}, pool.idle));
    families->push_back(std::move(connections));
    prometheus::MetricFamily waiting =
        Family("asyncgrpc_db_waiting",
               "Calls waiting for a database connection (sync) or queued and "
               "not yet sent to the database (async).",
               MetricType::Gauge);
    waiting.metric.push_back(Gauge({Label("service", service_)}, pool.waiting));
    families->push_back(std::move(waiting));
    prometheus::MetricFamily in_flight = Family(
        "asyncgrpc_db_in_flight",
        "Queries sent to PostgreSQL and not yet answered.", MetricType::Gauge);
    in_flight.metric.push_back(
        Gauge({Label("service", service_)}, pool.in_flight));
    families->push_back(std::move(in_flight));
  }
}

}  // namespace asyncgrpc
