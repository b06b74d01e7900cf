#include "loadgen/core/slo.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

using ::testing::HasSubstr;

::loadgen::v1::Step StepWith(double p99_ms, double error_ratio) {
  ::loadgen::v1::Step step;
  step.set_requests(1000);
  step.set_p50_ms(p99_ms / 4);
  step.set_p99_ms(p99_ms);
  step.set_error_ratio(error_ratio);
  return step;
}

TEST(ParseSlo, ReadsLatencyAndErrorTerms) {
  absl::StatusOr<Slo> slo = ParseSlo("p99<=50ms,errors<=0.1%,p50<=2.5ms");
  ASSERT_TRUE(slo.ok()) << slo.status();
  ASSERT_EQ(slo->latency.size(), 2u);
  EXPECT_EQ(slo->latency[0].percentile, "p99");
  EXPECT_DOUBLE_EQ(slo->latency[0].most_ms, 50);
  EXPECT_DOUBLE_EQ(slo->latency[1].most_ms, 2.5);
  EXPECT_DOUBLE_EQ(*slo->most_error_ratio, 0.001);
  EXPECT_EQ(slo->spec, "p99<=50ms,errors<=0.1%,p50<=2.5ms");
}

TEST(ParseSlo, AcceptsEveryPercentileAndUnits) {
  for (const char* spec :
       {"p90<=1s", "p95<=800us", "p999<=1.5s", "errors<=0", "errors<=100%"}) {
    EXPECT_TRUE(ParseSlo(spec).ok()) << spec;
  }
}

TEST(ParseSlo, RejectsWhatDoesNotParse) {
  for (const char* spec :
       {"", "p99", "p99<50ms", "p98<=50ms", "p99<=50", "p99<=0ms", "p99<=-1ms",
        "errors<=1", "errors<=101%", "errors<=x%", "p99<=5ms,p99<=6ms",
        "p99<=5ms,", "latency<=5ms"}) {
    absl::StatusOr<Slo> slo = ParseSlo(spec);
    ASSERT_FALSE(slo.ok()) << spec;
    EXPECT_EQ(slo.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(slo.status().message(), HasSubstr("--slo")) << spec;
  }
}

TEST(SloMiss, EmptyWhenMetAndSaysWhyWhenNot) {
  const Slo slo = *ParseSlo("p99<=20ms,errors<=1%");
  EXPECT_EQ(SloMiss(slo, StepWith(20, 0.01)), "");
  EXPECT_EQ(SloMiss(slo, StepWith(31.2, 0)), "p99 31.2 ms > 20 ms");
  EXPECT_EQ(SloMiss(slo, StepWith(5, 0.021)), "errors 2.1% > 1%");
  EXPECT_THAT(SloMiss(slo, StepWith(40, 0.5)), HasSubstr("; errors 50%"));
}

TEST(SloMiss, AStepWithoutCallsMisses) {
  const Slo slo = *ParseSlo("p99<=20ms");
  EXPECT_EQ(SloMiss(slo, ::loadgen::v1::Step()), "no calls finished");
}

TEST(ParseSloPrecision, PercentOrFractionWithinBounds) {
  EXPECT_DOUBLE_EQ(*ParseSloPrecision("5%"), 0.05);
  EXPECT_DOUBLE_EQ(*ParseSloPrecision("0.1"), 0.1);
  EXPECT_DOUBLE_EQ(*ParseSloPrecision("50%"), 0.5);
  for (const char* spec : {"0", "0%", "51%", "0.6", "-5%", "x", ""}) {
    EXPECT_FALSE(ParseSloPrecision(spec).ok()) << spec;
  }
}

}  // namespace
}  // namespace asyncgrpc::loadgen
