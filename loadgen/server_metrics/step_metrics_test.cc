#include "loadgen/server_metrics/step_metrics.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

// One series of the async service as prometheus-cpp writes it: labels sorted,
// `before` and `after` the "service" label.
std::string Series(absl::string_view name, absl::string_view before,
                   double value, absl::string_view after = "") {
  return absl::StrCat(name, "{", before, "service=\"async\"", after, "} ",
                      value, "\n");
}

// asyncgrpc_rpc_duration_seconds of `method`: `count` calls, `sum` seconds,
// and the cumulative counts at 0.5 ms, 1 ms, 5 ms and +Inf.
std::string DurationSeries(absl::string_view method, double count, double sum,
                           const std::vector<double>& cumulative) {
  const std::string of = absl::StrCat("method=\"", method, "\",");
  std::string out =
      absl::StrCat(Series("asyncgrpc_rpc_duration_seconds_count", of, count),
                   Series("asyncgrpc_rpc_duration_seconds_sum", of, sum));
  const char* const bounds[] = {"0.0005", "0.001", "0.005", "+Inf"};
  for (size_t i = 0; i < cumulative.size(); ++i) {
    absl::StrAppend(&out, Series("asyncgrpc_rpc_duration_seconds_bucket",
                                 absl::StrCat("le=\"", bounds[i], "\",", of),
                                 cumulative[i]));
  }
  return out;
}

// What the services expose (prometheus-cpp's text serializer: HELP and TYPE
// per family, labels sorted, le="+Inf"): GetItem calls so far, 90% of them at
// most 1 ms, 99% at most 5 ms; ListItems calls, all within (1, 5] ms.
std::string ServiceText(double get_ok, double get_unavailable, double list_ok,
                        int in_use) {
  const double get = get_ok + get_unavailable;
  return absl::StrCat(
      "# HELP asyncgrpc_rpcs_total RPCs finished, by method and status code\n"
      "# TYPE asyncgrpc_rpcs_total counter\n",
      Series("asyncgrpc_rpcs_total", "code=\"OK\",method=\"GetItem\",", get_ok),
      Series("asyncgrpc_rpcs_total", "code=\"UNAVAILABLE\",method=\"GetItem\",",
             get_unavailable),
      Series("asyncgrpc_rpcs_total", "code=\"OK\",method=\"ListItems\",",
             list_ok),
      "# HELP asyncgrpc_rpc_duration_seconds Server-side latency\n"
      "# TYPE asyncgrpc_rpc_duration_seconds histogram\n",
      DurationSeries("GetItem", get, get * 0.0008,
                     {get * 0.5, get * 0.9, get * 0.99, get}),
      DurationSeries("ListItems", list_ok, list_ok * 0.004,
                     {0, 0, list_ok, list_ok}),
      "# HELP asyncgrpc_db_connections Pool connections by state\n"
      "# TYPE asyncgrpc_db_connections gauge\n",
      Series("asyncgrpc_db_connections", "", in_use, ",state=\"in_use\""),
      Series("asyncgrpc_db_connections", "", 16 - in_use, ",state=\"idle\""),
      "# TYPE asyncgrpc_db_waiting gauge\n",
      Series("asyncgrpc_db_waiting", "", 3),
      "# TYPE asyncgrpc_db_in_flight gauge\n",
      Series("asyncgrpc_db_in_flight", "", 12),
      "# TYPE asyncgrpc_threads gauge\n", Series("asyncgrpc_threads", "", 17),
      "# TYPE process_cpu_seconds_total counter\n"
      "process_cpu_seconds_total ",
      get / 1000,
      "\n"
      "# TYPE process_resident_memory_bytes gauge\n"
      "process_resident_memory_bytes 2.5e+07\n"
      "# TYPE exposer_transferred_bytes_total counter\n"
      "exposer_transferred_bytes_total 1234\n");
}

TEST(ComputeServerMetricsTest, IncreasesOverTheWindowAndGaugesAtItsEnd) {
  absl::StatusOr<Exposition> before =
      ParseExposition(ServiceText(1000, 0, 100, 2));
  absl::StatusOr<Exposition> after =
      ParseExposition(ServiceText(2900, 100, 200, 9));
  ASSERT_TRUE(before.ok() && after.ok());
  pb::ServerMetrics m;
  ComputeServerMetrics(*before, *after, 10.0, &m);
  EXPECT_EQ(m.service(), "async");
  EXPECT_EQ(m.window_s(), 10.0);
  EXPECT_EQ(m.rpcs_by_code().at("OK"), 1900 + 100);
  EXPECT_EQ(m.rpcs_by_code().at("UNAVAILABLE"), 100);
  EXPECT_EQ(m.rpcs_by_method_code().at("GetItem OK"), 1900);
  EXPECT_EQ(m.rpcs_by_method_code().at("GetItem UNAVAILABLE"), 100);
  EXPECT_EQ(m.rpcs_by_method_code().at("ListItems OK"), 100);
  EXPECT_DOUBLE_EQ(m.rps(), 210);

  // GetItem: 2000 calls in the window, half by 0.5 ms, 90% by 1 ms, 99% by
  // 5 ms.
  const pb::ServerLatency& get = m.latency_by_method().at("GetItem");
  EXPECT_DOUBLE_EQ(get.count(), 2000);
  EXPECT_NEAR(get.p50_ms(), 0.5, 1e-9);
  EXPECT_NEAR(get.p95_ms(), 1 + 4 * (1900 - 1800) / 180.0, 1e-9);
  EXPECT_NEAR(get.p99_ms(), 5, 1e-9);
  EXPECT_NEAR(get.mean_ms(), 0.8, 1e-9);
  const pb::ServerLatency& list = m.latency_by_method().at("ListItems");
  EXPECT_DOUBLE_EQ(list.count(), 100);
  EXPECT_NEAR(list.p50_ms(), 1 + 4 * 0.5, 1e-9);
  // All methods: 2100 calls; rank 1050 lies in (0.5, 1] ms, which holds 800.
  EXPECT_DOUBLE_EQ(m.latency().count(), 2100);
  EXPECT_NEAR(m.latency().p50_ms(), 0.5 + 0.5 * (1050 - 1000) / 800.0, 1e-9);
  EXPECT_NEAR(m.latency().mean_ms(), (2000 * 0.8 + 100 * 4) / 2100, 1e-9);

  EXPECT_EQ(m.gauges().at("asyncgrpc_db_connections{state=\"in_use\"}"), 9);
  EXPECT_EQ(m.gauges().at("asyncgrpc_db_connections{state=\"idle\"}"), 7);
  EXPECT_EQ(m.gauges().at("asyncgrpc_db_waiting"), 3);
  EXPECT_EQ(m.gauges().at("asyncgrpc_db_in_flight"), 12);
  EXPECT_EQ(m.gauges().at("asyncgrpc_threads"), 17);
  EXPECT_EQ(m.gauges().at("process_resident_memory_bytes"), 2.5e7);
  // Counters are increases, not gauges; other families are not ours.
  EXPECT_EQ(m.gauges().count("process_cpu_seconds_total"), 0u);
  EXPECT_EQ(m.gauges().count("exposer_transferred_bytes_total"), 0u);
  EXPECT_EQ(m.gauges().size(), 6u);
  ASSERT_TRUE(m.has_process_cpu_cores());
  EXPECT_NEAR(m.process_cpu_cores(), (3.0 - 1.0) / 10, 1e-9);
}

TEST(ComputeServerMetricsTest, ACounterThatWentDownCountsFromZero) {
  // The server restarted within the window: 50 calls since.
  absl::StatusOr<Exposition> before = ParseExposition(
      "asyncgrpc_rpcs_total{method=\"GetItem\",code=\"OK\"} 900\n");
  absl::StatusOr<Exposition> after = ParseExposition(
      "asyncgrpc_rpcs_total{method=\"GetItem\",code=\"OK\"} 50\n"
      "asyncgrpc_rpcs_total{method=\"GetItem\",code=\"INTERNAL\"} 2\n");
  ASSERT_TRUE(before.ok() && after.ok());
  pb::ServerMetrics m;
  ComputeServerMetrics(*before, *after, 5.0, &m);
  EXPECT_EQ(m.rpcs_by_code().at("OK"), 50);
  // A series born within the window counts from 0 too.
  EXPECT_EQ(m.rpcs_by_code().at("INTERNAL"), 2);
  EXPECT_DOUBLE_EQ(m.rps(), 52 / 5.0);
  EXPECT_FALSE(m.has_latency());
  EXPECT_FALSE(m.has_process_cpu_cores());
}

TEST(ComputeServerMetricsTest, ItemServiceMethodsUseTheBoundsTheyShare) {
  absl::StatusOr<Exposition> before = ParseExposition("");
  absl::StatusOr<Exposition> after = ParseExposition(
      "# TYPE asyncgrpc_rpc_duration_seconds histogram\n"
      "asyncgrpc_rpc_duration_seconds_bucket{method=\"GetItem\",le=\"0.001\"} "
      "10\n"
      "asyncgrpc_rpc_duration_seconds_bucket{method=\"GetItem\",le=\"0.002\"} "
      "10\n"
      "asyncgrpc_rpc_duration_seconds_bucket{method=\"GetItem\",le=\"+Inf\"} "
      "10\n"
      "asyncgrpc_rpc_duration_seconds_bucket{method=\"ListItems\",le=\"0.002\"}"
      " "
      "10\n"
      "asyncgrpc_rpc_duration_seconds_bucket{method=\"ListItems\",le=\"+Inf\"} "
      "10\n");
  ASSERT_TRUE(before.ok() && after.ok());
  pb::ServerMetrics m;
  ComputeServerMetrics(*before, *after, 1.0, &m);
  // Without _count the +Inf bucket counts.
  EXPECT_DOUBLE_EQ(m.latency_by_method().at("GetItem").count(), 10);
  EXPECT_NEAR(m.latency_by_method().at("GetItem").p50_ms(), 0.5, 1e-9);
  // Over both only 2 ms is a bound of both: rank 10 of 20 is at 1 ms.
  EXPECT_DOUBLE_EQ(m.latency().count(), 20);
  EXPECT_NEAR(m.latency().p50_ms(), 1.0, 1e-9);
}

TEST(ComputeServerMetricsTest, HealthChecksAndReflectionStayOutOfTheTotals) {
  absl::StatusOr<Exposition> before = ParseExposition("");
  absl::StatusOr<Exposition> after = ParseExposition(
      "# TYPE asyncgrpc_rpcs_total counter\n"
      "asyncgrpc_rpcs_total{method=\"GetItem\",code=\"OK\"} 30\n"
      "asyncgrpc_rpcs_total{method=\"Check\",code=\"OK\"} 1000\n"
      "asyncgrpc_rpcs_total{method=\"other\",code=\"UNIMPLEMENTED\"} 5\n"
      "# TYPE asyncgrpc_rpc_duration_seconds histogram\n"
      "asyncgrpc_rpc_duration_seconds_bucket{method=\"GetItem\",le=\"0.001\"} "
      "30\n"
      "asyncgrpc_rpc_duration_seconds_bucket{method=\"GetItem\",le=\"+Inf\"} "
      "30\n"
      "asyncgrpc_rpc_duration_seconds_bucket{method=\"Check\",le=\"0.001\"} 0\n"
      "asyncgrpc_rpc_duration_seconds_bucket{method=\"Check\",le=\"+Inf\"} "
      "1000\n");
  ASSERT_TRUE(before.ok() && after.ok());
  pb::ServerMetrics m;
  ComputeServerMetrics(*before, *after, 10.0, &m);
  EXPECT_DOUBLE_EQ(m.rps(), 3.0);
  EXPECT_EQ(m.rpcs_by_code().size(), 1u);
  EXPECT_EQ(m.rpcs_by_code().at("OK"), 30);
  EXPECT_EQ(m.rpcs_by_method_code().at("Check OK"), 1000);
  EXPECT_EQ(m.rpcs_by_method_code().at("other UNIMPLEMENTED"), 5);
  EXPECT_DOUBLE_EQ(m.latency().count(), 30);
  EXPECT_DOUBLE_EQ(m.latency_by_method().at("Check").count(), 1000);
}

}  // namespace
}  // namespace asyncgrpc::loadgen
