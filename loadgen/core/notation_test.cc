#include "loadgen/core/notation.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

TEST(ParseRampTest, ThreeNumbersGiveTheLevels) {
  absl::StatusOr<Ramp> ramp = ParseRamp("--users", "10:50:10", true);
  ASSERT_TRUE(ramp.ok()) << ramp.status();
  EXPECT_EQ(ramp->Levels(), (std::vector<double>{10, 20, 30, 40, 50}));
}

TEST(ParseRampTest, EndNotOnAStepStopsBelowIt) {
  absl::StatusOr<Ramp> ramp = ParseRamp("--users", "10:45:10", true);
  ASSERT_TRUE(ramp.ok());
  EXPECT_EQ(ramp->Levels(), (std::vector<double>{10, 20, 30, 40}));
}

TEST(ParseRampTest, FractionalRatesKeepTheirEnd) {
  absl::StatusOr<Ramp> ramp = ParseRamp("--rate", "0.1:0.3:0.1", false);
  ASSERT_TRUE(ramp.ok());
  EXPECT_EQ(ramp->Levels().size(), 3u);
}

TEST(ParseRampTest, ASingleNumberIsOneLevel) {
  absl::StatusOr<Ramp> ramp = ParseRamp("--rate", "500", false);
  ASSERT_TRUE(ramp.ok());
  EXPECT_EQ(ramp->Levels(), (std::vector<double>{500}));
}

TEST(ParseRampTest, MalformedSpecsNameTheFlagAndTheForm) {
  // 3e44 and 1:1e9:1 once made Levels() run out of memory (found by
  // config_fuzzer).
  for (const char* spec :
       {"", "10:20", "a:b:c", "10:5:1", "0:10:1", "10:20:0", "10:20:-1",
        "1:2:3:4", "1.5:3:1", "1:1000000:1", "1:1e9:1", "1e16:1e17:1"}) {
    absl::StatusOr<Ramp> ramp = ParseRamp("--users", spec, true);
    EXPECT_TRUE(absl::IsInvalidArgument(ramp.status())) << spec;
    EXPECT_NE(ramp.status().message().find("--users"), std::string::npos);
    EXPECT_NE(ramp.status().message().find("START:END:STEP"),
              std::string::npos);
  }
}

TEST(ParseTargetTest, NamedAndUnnamed) {
  absl::StatusOr<Target> named = ParseTarget("sync=127.0.0.1:50051");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->name, "sync");
  EXPECT_EQ(named->address, "127.0.0.1:50051");
  absl::StatusOr<Target> bare = ParseTarget("localhost:9");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->name, "localhost:9");
}

TEST(ParseTargetTest, RejectsMalformedAddresses) {
  for (const char* spec : {"sync", "sync=", "=127.0.0.1:1", "sync=host",
                           "sync=host:0", "sync=host:70000", "sync=host:x"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseTarget(spec).status())) << spec;
  }
}

TEST(ParseScenarioTest, SingleScenarios) {
  for (const auto& [spec, action] :
       {std::pair{"seed", Action::kSeed}, std::pair{"get", Action::kGet},
        std::pair{"list", Action::kList}}) {
    absl::StatusOr<Scenario> scenario = ParseScenario(spec);
    ASSERT_TRUE(scenario.ok()) << spec;
    EXPECT_EQ(scenario->actions, std::vector<Action>{action});
  }
}

TEST(ParseScenarioTest, MixHasCumulativeWeights) {
  absl::StatusOr<Scenario> scenario = ParseScenario("mix:get=8,list=1,seed=1");
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  EXPECT_EQ(scenario->actions,
            (std::vector<Action>{Action::kGet, Action::kList, Action::kSeed}));
  EXPECT_EQ(scenario->weights, (std::vector<double>{8, 9, 10}));
}

TEST(ParseScenarioTest, RejectsUnknownAndMalformed) {
  for (const char* spec :
       {"", "post", "mix:", "mix:get", "mix:get=x", "mix:put=1", "mix:get=-1",
        "mix:get=0,list=0", "mix:get=1e308,list=1e308"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseScenario(spec).status())) << spec;
  }
}

TEST(ParseStartAtTest, Rfc3339AndUnixSeconds) {
  absl::StatusOr<absl::Time> t = ParseStartAt("2026-11-25T14:00:00Z");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(absl::ToUnixSeconds(*t), 1795615200);
  t = ParseStartAt("2026-11-25T15:00:00+01:00");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(absl::ToUnixSeconds(*t), 1795615200);
  t = ParseStartAt("2026-11-25T14:00:00.250Z");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(absl::ToUnixMillis(*t), 1795615200250);
  t = ParseStartAt("1795615200");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(absl::ToUnixSeconds(*t), 1795615200);
  t = ParseStartAt("1795615200.5");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(absl::ToUnixMillis(*t), 1795615200500);
}

TEST(ParseStartAtTest, RejectsOtherForms) {
  for (const char* spec :
       {"", "now", "2026-11-25", "2026-11-25 14:00:00", "14:00", "-5", "1.2.3",
        "2026-13-25T14:00:00Z", "1e20", "99999999999999", "+1795615200"}) {
    absl::StatusOr<absl::Time> t = ParseStartAt(spec);
    ASSERT_FALSE(t.ok()) << spec;
    EXPECT_TRUE(absl::IsInvalidArgument(t.status())) << spec;
    EXPECT_TRUE(absl::StrContains(t.status().message(), "--start_at"));
  }
}

TEST(CheckStartAtTest, AtMostOneSecondLate) {
  const absl::Time start = absl::FromUnixSeconds(1795615200);
  EXPECT_TRUE(CheckStartAt(start, start - absl::Hours(1)).ok());
  EXPECT_TRUE(CheckStartAt(start, start).ok());
  EXPECT_TRUE(CheckStartAt(start, start + absl::Milliseconds(1000)).ok());
  const absl::Status late = CheckStartAt(start, start + absl::Seconds(3));
  EXPECT_TRUE(absl::IsFailedPrecondition(late));
  EXPECT_TRUE(absl::StrContains(late.message(), "2026-11-25T14:00:00Z"))
      << late;
  EXPECT_TRUE(absl::StrContains(late.message(), "3s in the past")) << late;
}

TEST(ParseMetricsUrlTest, HostPortAndPath) {
  absl::StatusOr<MetricsUrl> url =
      ParseMetricsUrl("sync=http://127.0.0.1:9464/metrics");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->target, "sync");
  EXPECT_EQ(url->url, "http://127.0.0.1:9464/metrics");
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 9464);
  EXPECT_EQ(url->path, "/metrics");

  url = ParseMetricsUrl("async=http://async-metrics.bench.svc");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "async-metrics.bench.svc");
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->path, "/metrics");

  url = ParseMetricsUrl("a=http://[::1]:8080/x/y?format=text");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->path, "/x/y?format=text");
}

TEST(ParseMetricsUrlTest, RejectsWhatPlainHttpCannotFetch) {
  for (const char* spec :
       {"http://127.0.0.1:9464/metrics", "=http://h:1/", "a=", "a=h:1/metrics",
        "a=https://h:1/metrics", "a=http://", "a=http://:1/", "a=http://h:0/",
        "a=http://h:65536/", "a=http://h:x/", "a=http://h:/", "a=http://u@h:1/",
        "a=http://h:1/a b", "a=http://h:1/#frag", "a=http://[::1/",
        "a=http://a:b:1/"}) {
    absl::StatusOr<MetricsUrl> url = ParseMetricsUrl(spec);
    ASSERT_FALSE(url.ok()) << spec;
    EXPECT_TRUE(absl::StrContains(url.status().message(), "--metrics_url"))
        << url.status();
  }
}

}  // namespace
}  // namespace asyncgrpc::loadgen
