#include "loadgen/server_metrics/prometheus.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

// What the services expose (prometheus-cpp's text serializer: HELP and TYPE
// per family, labels sorted, le="+Inf", "Nan"), with `counts` GetItem calls
// so far: 90% of them at most 1 ms, 99% at most 5 ms.
std::string ServiceText(double get_ok, double get_unavailable, double list_ok,
                        int in_use) {
  const double get = get_ok + get_unavailable;
  return absl::StrCat(
      "# HELP asyncgrpc_rpcs_total RPCs finished, by method and status code\n"
      "# TYPE asyncgrpc_rpcs_total counter\n"
      "asyncgrpc_rpcs_total{code=\"OK\",method=\"GetItem\",service=\"async\"} ",
      get_ok,
      "\n"
      "asyncgrpc_rpcs_total{code=\"UNAVAILABLE\",method=\"GetItem\",service="
      "\"async\"} ",
      get_unavailable,
      "\n"
      "asyncgrpc_rpcs_total{code=\"OK\",method=\"ListItems\",service=\"async\"}"
      " ",
      list_ok,
      "\n"
      "# HELP asyncgrpc_rpc_duration_seconds Server-side latency\n"
      "# TYPE asyncgrpc_rpc_duration_seconds histogram\n"
      "asyncgrpc_rpc_duration_seconds_count{method=\"GetItem\",service="
      "\"async\"} ",
      get,
      "\n"
      "asyncgrpc_rpc_duration_seconds_sum{method=\"GetItem\",service="
      "\"async\"} ",
      get * 0.0008,
      "\n"
      "asyncgrpc_rpc_duration_seconds_bucket{le=\"0.0005\",method=\"GetItem\","
      "service=\"async\"} ",
      get * 0.5,
      "\n"
      "asyncgrpc_rpc_duration_seconds_bucket{le=\"0.001\",method=\"GetItem\","
      "service=\"async\"} ",
      get * 0.9,
      "\n"
      "asyncgrpc_rpc_duration_seconds_bucket{le=\"0.005\",method=\"GetItem\","
      "service=\"async\"} ",
      get * 0.99,
      "\n"
      "asyncgrpc_rpc_duration_seconds_bucket{le=\"+Inf\",method=\"GetItem\","
      "service=\"async\"} ",
      get,
      "\n"
      "asyncgrpc_rpc_duration_seconds_count{method=\"ListItems\",service="
      "\"async\"} ",
      list_ok,
      "\n"
      "asyncgrpc_rpc_duration_seconds_sum{method=\"ListItems\",service="
      "\"async\"} ",
      list_ok * 0.004,
      "\n"
      "asyncgrpc_rpc_duration_seconds_bucket{le=\"0.0005\",method="
      "\"ListItems\",service=\"async\"} 0\n"
      "asyncgrpc_rpc_duration_seconds_bucket{le=\"0.001\",method=\"ListItems\","
      "service=\"async\"} 0\n"
      "asyncgrpc_rpc_duration_seconds_bucket{le=\"0.005\",method=\"ListItems\","
      "service=\"async\"} ",
      list_ok,
      "\n"
      "asyncgrpc_rpc_duration_seconds_bucket{le=\"+Inf\",method=\"ListItems\","
      "service=\"async\"} ",
      list_ok,
      "\n"
      "# HELP asyncgrpc_db_connections Pool connections by state\n"
      "# TYPE asyncgrpc_db_connections gauge\n"
      "asyncgrpc_db_connections{service=\"async\",state=\"in_use\"} ",
      in_use,
      "\n"
      "asyncgrpc_db_connections{service=\"async\",state=\"idle\"} ",
      16 - in_use,
      "\n"
      "# TYPE asyncgrpc_db_waiting gauge\n"
      "asyncgrpc_db_waiting{service=\"async\"} 3\n"
      "# TYPE asyncgrpc_db_in_flight gauge\n"
      "asyncgrpc_db_in_flight{service=\"async\"} 12\n"
      "# TYPE asyncgrpc_threads gauge\n"
      "asyncgrpc_threads{service=\"async\"} 17\n"
      "# TYPE process_cpu_seconds_total counter\n"
      "process_cpu_seconds_total ",
      get / 1000,
      "\n"
      "# TYPE process_resident_memory_bytes gauge\n"
      "process_resident_memory_bytes 2.5e+07\n"
      "# TYPE exposer_transferred_bytes_total counter\n"
      "exposer_transferred_bytes_total 1234\n");
}

TEST(ParseExpositionTest, ReadsPrometheusCppText) {
  absl::StatusOr<Exposition> e = ParseExposition(ServiceText(100, 2, 10, 4));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->bad_lines, 0);
  ASSERT_EQ(e->samples.size(), 23u);
  const Sample& first = e->samples[0];
  EXPECT_EQ(first.name, "asyncgrpc_rpcs_total");
  EXPECT_EQ(first.Label("code"), "OK");
  EXPECT_EQ(first.Label("method"), "GetItem");
  EXPECT_EQ(first.Label("service"), "async");
  EXPECT_EQ(first.Label("absent"), "");
  EXPECT_EQ(first.value, 100);
  EXPECT_EQ(e->TypeOf("asyncgrpc_rpcs_total"), "counter");
  EXPECT_EQ(e->TypeOf("asyncgrpc_rpc_duration_seconds_bucket"), "histogram");
  EXPECT_EQ(e->TypeOf("asyncgrpc_rpc_duration_seconds_sum"), "histogram");
  EXPECT_EQ(e->TypeOf("asyncgrpc_threads"), "gauge");
  EXPECT_EQ(e->TypeOf("nothing_declared"), "untyped");
}

TEST(ParseExpositionTest, ReadsOpenMetricsWithExemplarsTimestampsAndEof) {
  const std::string text =
      "# TYPE asyncgrpc_rpcs counter\n"
      "# UNIT asyncgrpc_rpcs rpcs\n"
      "# HELP asyncgrpc_rpcs RPCs\n"
      "asyncgrpc_rpcs_total{method=\"GetItem\",code=\"OK\"} 17 "
      "1795615200.125 # {trace_id=\"4bf92f\"} 1.0 1795615200.1\n"
      "asyncgrpc_rpcs_created{method=\"GetItem\",code=\"OK\"} 1795615000\n"
      "# TYPE asyncgrpc_rpc_duration_seconds histogram\n"
      "asyncgrpc_rpc_duration_seconds_bucket{method=\"GetItem\",le=\"0.001\"} "
      "9 # {trace_id=\"x\"} 0.0004\n"
      "asyncgrpc_rpc_duration_seconds_bucket{method=\"GetItem\",le=\"+Inf\"} "
      "17\n"
      "# EOF\n";
  absl::StatusOr<Exposition> e = ParseExposition(text);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->bad_lines, 0);
  ASSERT_EQ(e->samples.size(), 4u);
  EXPECT_EQ(e->samples[0].name, "asyncgrpc_rpcs_total");
  EXPECT_EQ(e->samples[0].value, 17);
  // OpenMetrics names the counter family without _total.
  EXPECT_EQ(e->TypeOf("asyncgrpc_rpcs_total"), "counter");
  EXPECT_EQ(e->TypeOf("asyncgrpc_rpcs_created"), "counter");
  EXPECT_EQ(e->samples[2].value, 9);
}

TEST(ParseExpositionTest, EscapesBlanksTrailingCommasAndQuotedNames) {
  const std::string text =
      "  spaced_metric  { a = \"1\" , b=\"two\", }   42  \r\n"
      "escaped{path=\"C:\\\\dir\",quote=\"say \\\"hi\\\"\",nl=\"a\\nb\","
      "odd=\"\\t\"} 1\n"
      "{\"my.dotted.metric\", \"label.with.dots\"=\"v\"} 7\n"
      "no_labels 3.5e-3 1795615200000\n"
      "empty_braces{} 8\n"
      "\t# indented comment\n"
      "\n";
  absl::StatusOr<Exposition> e = ParseExposition(text);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->bad_lines, 0);
  ASSERT_EQ(e->samples.size(), 5u);
  EXPECT_EQ(e->samples[0].name, "spaced_metric");
  EXPECT_EQ(e->samples[0].Label("a"), "1");
  EXPECT_EQ(e->samples[0].Label("b"), "two");
  EXPECT_EQ(e->samples[0].value, 42);
  EXPECT_EQ(e->samples[1].Label("path"), "C:\\dir");
  EXPECT_EQ(e->samples[1].Label("quote"), "say \"hi\"");
  EXPECT_EQ(e->samples[1].Label("nl"), "a\nb");
  EXPECT_EQ(e->samples[1].Label("odd"), "\\t");
  EXPECT_EQ(e->samples[2].name, "my.dotted.metric");
  EXPECT_EQ(e->samples[2].Label("label.with.dots"), "v");
  EXPECT_DOUBLE_EQ(e->samples[3].value, 0.0035);
  EXPECT_EQ(e->samples[4].value, 8);
}

TEST(ParseExpositionTest, SpecialValues) {
  absl::StatusOr<Exposition> e =
      ParseExposition("a NaN\nb Nan\nc +Inf\nd -Inf\ne -0.5\nf 1e3\ng +2\n");
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->samples.size(), 7u);
  EXPECT_TRUE(std::isnan(e->samples[0].value));
  EXPECT_TRUE(std::isnan(e->samples[1].value));
  EXPECT_EQ(e->samples[2].value, HUGE_VAL);
  EXPECT_EQ(e->samples[3].value, -HUGE_VAL);
  EXPECT_EQ(e->samples[4].value, -0.5);
  EXPECT_EQ(e->samples[5].value, 1000);
  EXPECT_EQ(e->samples[6].value, 2);
}

TEST(ParseExpositionTest, SkipsBadLinesAndRefusesPagesWithoutSamples) {
  absl::StatusOr<Exposition> e = ParseExposition(
      "good 1\nbad{a=\"unterminated} 1\nbad2{a=1} 2\n3starts_with_digit 1\n"
      "novalue\nx 1 2 3\ny{a=\"1\"}{b=\"2\"} 1\nz --1\n");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->samples.size(), 1u);
  EXPECT_EQ(e->bad_lines, 7);

  EXPECT_TRUE(ParseExposition("").ok());
  absl::StatusOr<Exposition> html =
      ParseExposition("<html>\n<body>Not Found</body>\n</html>\n");
  EXPECT_TRUE(absl::IsInvalidArgument(html.status())) << html.status();
}

TEST(BucketQuantileTest, InterpolatesWithinTheBucket) {
  const std::vector<Bucket> buckets = {
      {0.001, 50}, {0.002, 90}, {0.004, 100}, {HUGE_VAL, 100}};
  // Rank 50 is the top of the first bucket, which starts at 0.
  EXPECT_DOUBLE_EQ(*BucketQuantile(buckets, 0.5), 0.001);
  EXPECT_DOUBLE_EQ(*BucketQuantile(buckets, 0.25), 0.0005);
  // Rank 70: 20 of the 40 in (0.001, 0.002].
  EXPECT_DOUBLE_EQ(*BucketQuantile(buckets, 0.7), 0.0015);
  EXPECT_DOUBLE_EQ(*BucketQuantile(buckets, 0.95), 0.003);
  EXPECT_DOUBLE_EQ(*BucketQuantile(buckets, 0.99), 0.0038);
}

TEST(BucketQuantileTest, TheInfBucketGivesTheHighestBoundAndEmptyGivesNone) {
  EXPECT_DOUBLE_EQ(
      *BucketQuantile({{0.001, 10}, {0.01, 20}, {HUGE_VAL, 100}}, 0.99), 0.01);
  EXPECT_FALSE(BucketQuantile({{0.001, 0}, {HUGE_VAL, 0}}, 0.5).has_value());
  EXPECT_FALSE(BucketQuantile({}, 0.5).has_value());
  EXPECT_FALSE(BucketQuantile({{HUGE_VAL, 5}}, 0.5).has_value());
  EXPECT_FALSE(BucketQuantile({{1, 5}, {HUGE_VAL, 5}}, 1.5).has_value());
  // Out-of-order counts (two scrapes racing observations) are made
  // cumulative, as PromQL does.
  EXPECT_DOUBLE_EQ(
      *BucketQuantile({{1, 10}, {2, 8}, {3, 20}, {HUGE_VAL, 20}}, 0.5), 1);
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
