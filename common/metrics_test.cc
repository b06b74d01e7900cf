#include "common/metrics.h"

#include <prometheus/text_serializer.h>

#include <cmath>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "common/metrics_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace asyncgrpc {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsMethodTest, ItemServiceHealthAndReflectionHaveTheirOwnLabels) {
  EXPECT_EQ(
      MetricsMethodLabel(MetricsMethodIndex("/items.v1.ItemService/GetItem")),
      "GetItem");
  EXPECT_EQ(
      MetricsMethodLabel(MetricsMethodIndex("/items.v1.ItemService/ListItems")),
      "ListItems");
  EXPECT_EQ(
      MetricsMethodLabel(MetricsMethodIndex("/grpc.health.v1.Health/Check")),
      "Check");
  EXPECT_EQ(
      MetricsMethodLabel(MetricsMethodIndex("/grpc.health.v1.Health/Watch")),
      "Watch");
  EXPECT_EQ(MetricsMethodLabel(
                MetricsMethodIndex("/grpc.reflection.v1alpha.ServerReflection/"
                                   "ServerReflectionInfo")),
            "ServerReflectionInfo");
}

TEST(MetricsMethodTest, AnyOtherNameIsOther) {
  for (absl::string_view name :
       {"", "/items.v1.ItemService/DeleteItem", "/x/GetItem", "GetItem",
        "/items.v1.ItemService/GetItem/", "/items.v1.ItemService/getitem"}) {
    EXPECT_EQ(MetricsMethodLabel(MetricsMethodIndex(name)), "other") << name;
  }
  EXPECT_EQ(MetricsMethodLabel(-1), "other");
  EXPECT_EQ(MetricsMethodLabel(kMetricsMethodCount), "other");
}

TEST(LatencyBucketTest, BoundsAreInclusiveLikePrometheusLe) {
  EXPECT_EQ(LatencyBucket(absl::ZeroDuration()), 0);
  EXPECT_EQ(LatencyBucket(-absl::Seconds(1)), 0);
  EXPECT_EQ(LatencyBucket(absl::Microseconds(100)), 0);
  EXPECT_EQ(LatencyBucket(absl::Microseconds(100) + absl::Nanoseconds(1)), 1);
  EXPECT_EQ(LatencyBucket(absl::Microseconds(250)), 1);
  EXPECT_EQ(LatencyBucket(absl::Milliseconds(1)), 3);
  EXPECT_EQ(LatencyBucket(absl::Seconds(10)), 15);
  EXPECT_EQ(LatencyBucket(absl::Seconds(10) + absl::Nanoseconds(1)), 16);
  EXPECT_EQ(LatencyBucket(absl::Hours(1)), 16);
}

TEST(LatencyBucketTest, BoundsRiseFrom100usTo10s) {
  EXPECT_DOUBLE_EQ(kLatencyBucketBounds.front(), 0.0001);
  EXPECT_DOUBLE_EQ(kLatencyBucketBounds.back(), 10.0);
  for (size_t i = 1; i < kLatencyBucketBounds.size(); ++i) {
    EXPECT_GT(kLatencyBucketBounds[i], kLatencyBucketBounds[i - 1]);
    // Log-spaced: never more than 2.5x apart.
    EXPECT_LE(kLatencyBucketBounds[i] / kLatencyBucketBounds[i - 1], 2.51);
  }
}

TEST(ThreadCountTest, ReadsTheThreadsLine) {
  EXPECT_EQ(ThreadCountFromProcStatus("Name:\tsync_service\nUmask:\t0022\n"
                                      "State:\tS (sleeping)\nThreads:\t23\n"
                                      "SigQ:\t0/63477\n"),
            23);
  EXPECT_EQ(ThreadCountFromProcStatus("Threads: 7"), 7);
}

TEST(ThreadCountTest, NothingWithoutAThreadsLine) {
  EXPECT_EQ(ThreadCountFromProcStatus(""), std::nullopt);
  EXPECT_EQ(ThreadCountFromProcStatus("Name:\tx\nThreadsX:\t3\n"),
            std::nullopt);
  EXPECT_EQ(ThreadCountFromProcStatus("Threads:\tmany\n"), std::nullopt);
  EXPECT_EQ(ThreadCountFromProcStatus("Threads:\t0\n"), std::nullopt);
}

TEST(ParseMetricsListenTest, HostAndPort) {
  absl::StatusOr<HostPort> address = ParseMetricsListen("127.0.0.1:9090");
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->host, "127.0.0.1");
  EXPECT_EQ(address->port, 9090);
  address = ParseMetricsListen("localhost:0");
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->host, "localhost");
  EXPECT_EQ(address->port, 0);
  address = ParseMetricsListen("0.0.0.0:65535");
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->port, 65535);
}

TEST(ParseMetricsListenTest, RejectsWhatIsNotHostColonPort) {
  for (absl::string_view bad :
       {"", "9090", ":9090", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
        "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:80x", "127.0.0.1: 80",
        "127.0.0.1:99999999999", "[::1]:9090", "::1:9090", "unix:/tmp/x"}) {
    absl::StatusOr<HostPort> address = ParseMetricsListen(bad);
    EXPECT_FALSE(address.ok()) << bad;
    EXPECT_EQ(address.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(address.status().message(), HasSubstr("--metrics_listen"))
        << bad;
  }
}

// The text a scrape would show.
std::string Scrape(const ServiceMetrics& metrics) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, metrics.Collect());
  return out.str();
}

// The samples of a scrape by series, e.g.
// `asyncgrpc_rpcs_total{service="sync",method="GetItem",code="OK"}`.
std::map<std::string, double> Samples(const ServiceMetrics& metrics) {
  std::map<std::string, double> samples;
  std::istringstream in(Scrape(metrics));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const size_t space = line.rfind(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

TEST(ServiceMetricsTest, CountsCallsByMethodAndCodeSpelledLikeAbsl) {
  ServiceMetrics metrics("sync", nullptr);
  const int get = MetricsMethodIndex("/items.v1.ItemService/GetItem");
  const int list = MetricsMethodIndex("/items.v1.ItemService/ListItems");
  for (int i = 0; i < 3; ++i) {
    metrics.RecordRpc(get, grpc::StatusCode::OK, absl::Milliseconds(1));
  }
  metrics.RecordRpc(get, grpc::StatusCode::NOT_FOUND, absl::Milliseconds(2));
  metrics.RecordRpc(get, grpc::StatusCode::NOT_FOUND, absl::Milliseconds(3));
  metrics.RecordRpc(list, grpc::StatusCode::RESOURCE_EXHAUSTED,
                    absl::Seconds(20));
  metrics.RecordRpc(MetricsMethodIndex("/no.Such/Method"),
                    grpc::StatusCode::UNIMPLEMENTED, absl::Microseconds(5));
  // Out of range codes count as UNKNOWN.
  metrics.RecordRpc(get, static_cast<grpc::StatusCode>(99),
                    absl::Microseconds(5));

  std::map<std::string, double> samples = Samples(metrics);
  auto rpcs = [&](const std::string& method, const std::string& code) {
    const std::string series =
        absl::StrCat("asyncgrpc_rpcs_total{service=\"sync\",method=\"", method,
                     "\",code=\"", code, "\"}");
    return samples.count(series) ? samples[series] : -1;
  };
  EXPECT_EQ(rpcs("GetItem", "OK"), 3);
  EXPECT_EQ(rpcs("GetItem", "NOT_FOUND"), 2);
  EXPECT_EQ(rpcs("GetItem", "UNKNOWN"), 1);
  EXPECT_EQ(rpcs("ListItems", "RESOURCE_EXHAUSTED"), 1);
  // ItemService's OK series is there from the start.
  EXPECT_EQ(rpcs("ListItems", "OK"), 0);
  EXPECT_EQ(rpcs("other", "UNIMPLEMENTED"), 1);
  // Codes never seen are left out.
  EXPECT_EQ(rpcs("GetItem", "INTERNAL"), -1);
  EXPECT_EQ(rpcs("Check", "OK"), -1);
}

TEST(ServiceMetricsTest, HistogramBucketsAreCumulativeWithCountAndSum) {
  ServiceMetrics metrics("async", nullptr);
  const int get = MetricsMethodIndex("/items.v1.ItemService/GetItem");
  metrics.RecordRpc(get, grpc::StatusCode::OK, absl::Microseconds(50));
  metrics.RecordRpc(get, grpc::StatusCode::OK, absl::Microseconds(100));
  metrics.RecordRpc(get, grpc::StatusCode::OK, absl::Milliseconds(3));
  metrics.RecordRpc(get, grpc::StatusCode::CANCELLED, absl::Seconds(30));

  std::vector<prometheus::MetricFamily> families = metrics.Collect();
  const prometheus::MetricFamily* durations = nullptr;
  for (const prometheus::MetricFamily& family : families) {
    if (family.name == "asyncgrpc_rpc_duration_seconds") {
      durations = &family;
    }
  }
  ASSERT_NE(durations, nullptr);
  EXPECT_EQ(durations->type, prometheus::MetricType::Histogram);
  // GetItem and ListItems (always shown); nothing else was called.
  ASSERT_EQ(durations->metric.size(), 2u);
  const prometheus::ClientMetric::Histogram& histogram =
      durations->metric[0].histogram;
  EXPECT_EQ(durations->metric[0].label[1].value, "GetItem");
  EXPECT_EQ(histogram.sample_count, 4u);
  EXPECT_NEAR(histogram.sample_sum, 30.00315, 1e-9);
  ASSERT_EQ(histogram.bucket.size(), kLatencyBucketBounds.size() + 1);
  std::map<double, uint64_t> cumulative;
  for (const prometheus::ClientMetric::Bucket& bucket : histogram.bucket) {
    cumulative[bucket.upper_bound] = bucket.cumulative_count;
  }
  EXPECT_EQ(cumulative[0.0001], 2u);
  EXPECT_EQ(cumulative[0.0025], 2u);
  EXPECT_EQ(cumulative[0.005], 3u);
  EXPECT_EQ(cumulative[10.0], 3u);
  EXPECT_TRUE(std::isinf(histogram.bucket.back().upper_bound));
  EXPECT_EQ(histogram.bucket.back().cumulative_count, 4u);
  const prometheus::ClientMetric::Histogram& list =
      durations->metric[1].histogram;
  EXPECT_EQ(list.sample_count, 0u);

  // In the text format.
  const std::string text = Scrape(metrics);
  EXPECT_THAT(text, HasSubstr("# TYPE asyncgrpc_rpc_duration_seconds "
                              "histogram\n"));
  EXPECT_THAT(text, HasSubstr("asyncgrpc_rpc_duration_seconds_count{service="
                              "\"async\",method=\"GetItem\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("asyncgrpc_rpc_duration_seconds_bucket{service="
                              "\"async\",method=\"GetItem\",le=\"+Inf\"} 4\n"));
}

TEST(ServiceMetricsTest, GaugesSampleThePoolAtEveryScrape) {
  DbPoolStats pool = {.in_use = 3, .idle = 13, .waiting = 7, .in_flight = 5};
  ServiceMetrics metrics("sync", [&pool] { return pool; });
  std::map<std::string, double> samples = Samples(metrics);
  EXPECT_EQ(samples["asyncgrpc_db_connections{service=\"sync\",state=\"in_"
                    "use\"}"],
            3);
  EXPECT_EQ(samples["asyncgrpc_db_connections{service=\"sync\",state="
                    "\"idle\"}"],
            13);
  EXPECT_EQ(samples["asyncgrpc_db_waiting{service=\"sync\"}"], 7);
  EXPECT_EQ(samples["asyncgrpc_db_in_flight{service=\"sync\"}"], 5);
  EXPECT_GT(samples["asyncgrpc_threads{service=\"sync\"}"], 0);

  pool = {.in_use = 0, .idle = 16, .waiting = 0, .in_flight = 0};
  samples = Samples(metrics);
  EXPECT_EQ(samples["asyncgrpc_db_connections{service=\"sync\",state=\"in_"
                    "use\"}"],
            0);
  EXPECT_EQ(samples["asyncgrpc_db_waiting{service=\"sync\"}"], 0);
}

TEST(ServiceMetricsTest, TheThreadsGaugeFollowsTheProcess) {
  ServiceMetrics metrics("async", nullptr);
  auto threads_now = [&metrics] {
    return Samples(metrics)["asyncgrpc_threads{service=\"async\"}"];
  };
  // A runtime may start a thread of its own at any moment (TSan's background
  // thread did, between two scrapes, in CI): a cycle it disturbs is run again.
  // A gauge that does not follow the process fails every cycle.
  double before = 0, during = 0, after = 0;
  for (int cycle = 0; cycle < 5; ++cycle) {
    before = threads_now();
    ASSERT_GT(before, 0);
    absl::Notification stop;
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
      threads.emplace_back([&stop] { stop.WaitForNotification(); });
    }
    during = threads_now();
    stop.Notify();
    for (std::thread& thread : threads) {
      thread.join();
    }
    after = threads_now();
    if (during == before + 3 && after == before) {
      break;
    }
  }
  EXPECT_EQ(during, before + 3);
  EXPECT_EQ(after, before);
}

TEST(ServiceMetricsTest, EverySeriesCarriesTheServiceLabel) {
  ServiceMetrics metrics("async", [] { return DbPoolStats{}; });
  metrics.RecordRpc(0, grpc::StatusCode::OK, absl::Milliseconds(1));
  std::istringstream in(Scrape(metrics));
  std::string line;
  int series = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    ++series;
    EXPECT_THAT(line, HasSubstr("{service=\"async\"")) << line;
  }
  // 2 counters, 2 histograms of 19 lines, 2 + 1 + 1 pool gauges, threads,
  // and the 4 process metrics.
  EXPECT_EQ(series, 2 + 2 * 19 + 4 + 1 + 4);
}

TEST(ServiceMetricsTest, ExportsTheStandardProcessMetrics) {
  ServiceMetrics metrics("sync", nullptr);
  const std::string text = Scrape(metrics);
  EXPECT_THAT(text, HasSubstr("# TYPE process_cpu_seconds_total counter\n"));
  for (absl::string_view gauge : {"process_resident_memory_bytes",
                                  "process_open_fds", "process_threads"}) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("# TYPE ", gauge, " gauge\n")));
  }
  std::map<std::string, double> samples = Samples(metrics);
  EXPECT_GE(samples.at("process_cpu_seconds_total{service=\"sync\"}"), 0);
  EXPECT_GT(samples.at("process_resident_memory_bytes{service=\"sync\"}"),
            1 << 20);
  EXPECT_GE(samples.at("process_open_fds{service=\"sync\"}"), 3);
  // The same count from another file of /proc, read a moment apart (a
  // runtime's own thread may start in between).
  EXPECT_NEAR(samples.at("process_threads{service=\"sync\"}"),
              samples.at("asyncgrpc_threads{service=\"sync\"}"), 1);
}

// Counts from many threads at once: nothing lost.
TEST(ServiceMetricsTest, ConcurrentCallsAreAllCounted) {
  ServiceMetrics metrics("sync", nullptr);
  constexpr int kThreads = 4;
  constexpr int kCalls = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < kCalls; ++i) {
        metrics.RecordRpc(t % 2, grpc::StatusCode::OK, absl::Microseconds(i));
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  std::map<std::string, double> samples = Samples(metrics);
  EXPECT_EQ(samples["asyncgrpc_rpcs_total{service=\"sync\",method=\"GetItem\","
                    "code=\"OK\"}"],
            kThreads / 2 * kCalls);
  EXPECT_EQ(samples["asyncgrpc_rpc_duration_seconds_count{service=\"sync\","
                    "method=\"ListItems\"}"],
            kThreads / 2 * kCalls);
}

TEST(MetricsServerTest, RefusesBadAddressesInOneLineNamingTheFlag) {
  auto metrics = std::make_shared<ServiceMetrics>("sync", nullptr);
  for (absl::string_view bad :
       {"nonsense", "no-such-host.invalid:0", "[::1]:0", "127.0.0.1:99999"}) {
    absl::StatusOr<std::unique_ptr<MetricsServer>> server =
        MetricsServer::Start(bad, metrics);
    ASSERT_FALSE(server.ok()) << bad;
    EXPECT_THAT(server.status().message(), HasSubstr("--metrics_listen"));
    EXPECT_THAT(server.status().message(), Not(HasSubstr("\n")));
  }
}

TEST(MetricsServerTest, PortZeroReportsTheBoundPortAndATakenPortIsRefused) {
  auto metrics = std::make_shared<ServiceMetrics>("sync", nullptr);
  absl::StatusOr<std::unique_ptr<MetricsServer>> first =
      MetricsServer::Start("127.0.0.1:0", metrics);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string& address = (*first)->address();
  ASSERT_TRUE(absl::StartsWith(address, "127.0.0.1:")) << address;
  EXPECT_NE(address, "127.0.0.1:0");

  absl::StatusOr<std::unique_ptr<MetricsServer>> second =
      MetricsServer::Start(address, metrics);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(),
              HasSubstr(absl::StrCat("--metrics_listen: cannot listen on ",
                                     address, ": Address already in use")));
}

}  // namespace
}  // namespace asyncgrpc
