#include "loadgen/server_metrics/exposition.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

// What prometheus-cpp's text serializer writes (the services use it): HELP and
// TYPE per family, labels sorted, le="+Inf", "Nan".
constexpr char kPrometheusCppText[] =
    "# HELP asyncgrpc_rpcs_total RPCs finished, by method and status code\n"
    "# TYPE asyncgrpc_rpcs_total counter\n"
    "asyncgrpc_rpcs_total{code=\"OK\",method=\"GetItem\",service=\"async\"} "
    "100\n"
    "asyncgrpc_rpcs_total{code=\"UNAVAILABLE\",method=\"GetItem\",service="
    "\"async\"} 2\n"
    "# HELP asyncgrpc_rpc_duration_seconds Server-side latency\n"
    "# TYPE asyncgrpc_rpc_duration_seconds histogram\n"
    "asyncgrpc_rpc_duration_seconds_count{method=\"GetItem\",service="
    "\"async\"} 102\n"
    "asyncgrpc_rpc_duration_seconds_sum{method=\"GetItem\",service="
    "\"async\"} 0.0816\n"
    "asyncgrpc_rpc_duration_seconds_bucket{le=\"0.001\",method=\"GetItem\","
    "service=\"async\"} 91\n"
    "asyncgrpc_rpc_duration_seconds_bucket{le=\"+Inf\",method=\"GetItem\","
    "service=\"async\"} 102\n"
    "# HELP rpc_latency_summary A summary without observations\n"
    "# TYPE rpc_latency_summary summary\n"
    "rpc_latency_summary_count 0\n"
    "rpc_latency_summary_sum 0\n"
    "rpc_latency_summary{quantile=\"0.5\"} Nan\n"
    "# HELP asyncgrpc_threads Threads of the process\n"
    "# TYPE asyncgrpc_threads gauge\n"
    "asyncgrpc_threads{service=\"async\"} 17\n"
    "# TYPE process_resident_memory_bytes gauge\n"
    "process_resident_memory_bytes 2.5e+07\n";

TEST(ParseExpositionTest, ReadsPrometheusCppText) {
  absl::StatusOr<Exposition> e = ParseExposition(kPrometheusCppText);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->bad_lines, 0);
  ASSERT_EQ(e->samples.size(), 11u);
  const Sample& first = e->samples[0];
  EXPECT_EQ(first.name, "asyncgrpc_rpcs_total");
  EXPECT_EQ(first.Label("code"), "OK");
  EXPECT_EQ(first.Label("method"), "GetItem");
  EXPECT_EQ(first.Label("service"), "async");
  EXPECT_EQ(first.Label("absent"), "");
  EXPECT_EQ(first.value, 100);
  EXPECT_EQ(e->samples[5].Label("le"), "+Inf");
  EXPECT_TRUE(std::isnan(e->samples[8].value));
  EXPECT_EQ(e->samples[10].value, 2.5e7);
  EXPECT_EQ(e->TypeOf("asyncgrpc_rpcs_total"), "counter");
  EXPECT_EQ(e->TypeOf("asyncgrpc_rpc_duration_seconds_bucket"), "histogram");
  EXPECT_EQ(e->TypeOf("asyncgrpc_rpc_duration_seconds_sum"), "histogram");
  EXPECT_EQ(e->TypeOf("rpc_latency_summary"), "summary");
  EXPECT_EQ(e->TypeOf("rpc_latency_summary_count"), "summary");
  EXPECT_EQ(e->TypeOf("asyncgrpc_threads"), "gauge");
  EXPECT_EQ(e->TypeOf("nothing_declared"), "untyped");
  EXPECT_EQ(e->TypeOf("nothing_declared_total"), "untyped");
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

TEST(ParseValueTest, GoFloatFormsOnly) {
  EXPECT_EQ(ParseValue("0.001"), 0.001);
  EXPECT_EQ(ParseValue("+Inf"), HUGE_VAL);
  EXPECT_EQ(ParseValue("-infinity"), -HUGE_VAL);
  EXPECT_EQ(ParseValue("1e-3"), 0.001);
  EXPECT_TRUE(std::isnan(*ParseValue("NaN")));
  for (const char* bad : {"", "-", "--1", "+-1", "1,5", "nan(1)", "0x"}) {
    EXPECT_FALSE(ParseValue(bad).has_value()) << bad;
  }
}

TEST(FamilySuffixTest, TheSuffixThatNamesAFamilyPart) {
  EXPECT_EQ(FamilySuffix("a_bucket"), "_bucket");
  EXPECT_EQ(FamilySuffix("a_count"), "_count");
  EXPECT_EQ(FamilySuffix("a_gcount"), "_gcount");
  EXPECT_EQ(FamilySuffix("a_gsum"), "_gsum");
  EXPECT_EQ(FamilySuffix("a_total"), "_total");
  EXPECT_EQ(FamilySuffix("a_created"), "_created");
  EXPECT_EQ(FamilySuffix("a_info"), "_info");
  EXPECT_EQ(FamilySuffix("a_threads"), "");
  EXPECT_EQ(FamilySuffix("total"), "");
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

}  // namespace
}  // namespace asyncgrpc::loadgen
