// The sweep's rules with hand-built runs: values as numbers, whether the
// challenger pays at a value, the crossover over the values, the points'
// figures, the sweep's verdict, and bad input.
#include "loadgen/sweep/sweep.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loadgen/sweep/value.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A run ramping 100..500 calls/s, erroring from 400 on, with a capacity of
// the given status, and the server's RSS at `rss_mb` on every step.
pb::TargetResult MakeRun(const std::string& name, double capacity,
                         const std::string& status = "within_precision",
                         double rss_mb = 50) {
  pb::TargetResult run;
  run.set_name(name);
  for (int i = 0; i < 5; ++i) {
    pb::Step& step = *run.add_steps();
    step.set_index(i);
    step.set_rate(100.0 * (i + 1));
    step.set_requests(100);
    step.set_ok(i < 3 ? 100 : 50);
    step.set_rps(100);
    step.set_valid(true);
    (*step.add_server_metrics()
          ->mutable_gauges())["process_resident_memory_bytes"] = rss_mb * 1e6;
  }
  run.mutable_summary()->set_errors_at(400);
  run.mutable_capacity()->set_status(status);
  if (status == "below_ramp_start") {
    run.mutable_capacity()->set_missed_at(100);
  } else {
    run.mutable_summary()->set_capacity(capacity);
  }
  return run;
}

void AddTarget(pb::Results& results, const std::string& name,
               const std::vector<double>& capacities,
               const std::string& status) {
  pb::TargetResult& target = *results.add_targets();
  target = MakeRun(name, capacities[0], status);
  for (size_t i = 0; capacities.size() > 1 && i < capacities.size(); ++i) {
    *target.add_repeats() = MakeRun(name, capacities[i], status);
  }
}

// A two-target run: sync's and async's capacities over its runs.
pb::Results PairRun(const std::vector<double>& sync,
                    const std::vector<double>& async,
                    const std::string& sync_status = "within_precision",
                    const std::string& async_status = "within_precision") {
  pb::Results results;
  results.mutable_config()->set_mode("open");
  results.mutable_config()->set_slo("p99<=100ms");
  results.mutable_environment()->set_cpus(2);
  AddTarget(results, "sync", sync, sync_status);
  AddTarget(results, "async", async, async_status);
  return results;
}

pb::Results Sweep(std::vector<std::pair<std::string, pb::Results>> runs) {
  std::vector<SweepInput> inputs;
  for (auto& [value, results] : runs) {
    inputs.push_back({.value = value,
                      .directory = "upstream_delay-" + value,
                      .results = std::move(results)});
  }
  absl::StatusOr<pb::Results> sweep =
      BuildSweep("upstream_delay", std::move(inputs), "a sweep");
  EXPECT_TRUE(sweep.ok()) << sweep.status();
  return sweep.ok() ? *sweep : pb::Results();
}

const std::vector<double> kSame = {500, 510, 490};

TEST(SweptValueTest, DurationsInMillisecondsCountsAsTheyAre) {
  EXPECT_EQ(ParseSweptValue("20ms")->number, 20);
  EXPECT_EQ(ParseSweptValue("20ms")->unit, "ms");
  EXPECT_EQ(ParseSweptValue("1.5s")->number, 1500);
  EXPECT_EQ(ParseSweptValue("800")->number, 800);
  EXPECT_EQ(ParseSweptValue("800")->unit, "");
  for (const char* bad : {"", "abc", "-1", "-5ms", "inf", "nan", "20 ms"}) {
    EXPECT_FALSE(ParseSweptValue(bad).ok()) << bad;
  }
}

TEST(SweepTest, CrossoverFromTheLowestValueThatPaysOnwards) {
  const pb::Results out = Sweep({{"50ms", PairRun(kSame, {900, 950, 880})},
                                 {"0ms", PairRun(kSame, {520, 500, 530})},
                                 {"20ms", PairRun(kSame, {650, 700, 640})}});
  const pb::Sweep& sweep = out.sweep();
  ASSERT_EQ(sweep.points_size(), 3);
  EXPECT_EQ(sweep.points(0).value(), "0ms");
  EXPECT_EQ(sweep.points(2).value_number(), 50);
  EXPECT_EQ(sweep.unit(), "ms");
  EXPECT_FALSE(sweep.points(0).pays());
  EXPECT_TRUE(sweep.points(1).pays());
  EXPECT_NEAR(sweep.points(1).capacity_ratio(), 650.0 / 500, 1e-9);
  EXPECT_TRUE(sweep.crossover().found());
  EXPECT_EQ(sweep.crossover().from_value(), "20ms");
  EXPECT_THAT(sweep.crossover().statement(),
              HasSubstr("exceeds sync's by at least 20% with separate ranges "
                        "from upstream_delay = 20ms on (1.30x there)"));
  EXPECT_THAT(sweep.crossover().statement(), StartsWith("async's"));
}

TEST(SweepTest, ACrossoverAtTheHighestValueSaysSo) {
  const pb::Results out = Sweep({{"0ms", PairRun(kSame, kSame)},
                                 {"50ms", PairRun(kSame, {650, 700, 640})}});
  EXPECT_EQ(out.sweep().crossover().from_value(), "50ms");
  EXPECT_THAT(
      out.sweep().crossover().statement(),
      HasSubstr("from upstream_delay = 50ms on (1.30x there; the "
                "highest value swept, so not shown to hold above it)."));
}

TEST(SweepTest, OverlappingRangesDoNotPay) {
  const pb::Results out =
      Sweep({{"0ms", PairRun({400, 500, 700}, {650, 700, 900})}});
  EXPECT_NEAR(out.sweep().points(0).capacity_ratio(), 1.4, 1e-9);
  EXPECT_FALSE(out.sweep().points(0).pays());
  EXPECT_THAT(out.sweep().points(0).judgement(), HasSubstr("ranges overlap"));
  EXPECT_FALSE(out.sweep().crossover().found());
}

TEST(SweepTest, PayingUpToAValueIsACrossoverDownwards) {
  const pb::Results out = Sweep({{"8", PairRun(kSame, {900, 900, 900})},
                                 {"16", PairRun(kSame, {700, 700, 700})},
                                 {"256", PairRun(kSame, kSame)}});
  EXPECT_EQ(out.sweep().unit(), "");
  EXPECT_TRUE(out.sweep().crossover().found());
  EXPECT_EQ(out.sweep().crossover().from_value(), "");
  EXPECT_EQ(out.sweep().crossover().up_to_value(), "16");
  EXPECT_THAT(
      out.sweep().crossover().statement(),
      HasSubstr("by at least 20% with separate ranges at every "
                "upstream_delay up to 16 (1.40x there), not above it."));
}

TEST(SweepTest, PayingInTheMiddleOnlyIsNoCrossover) {
  const pb::Results out = Sweep({{"8", PairRun(kSame, kSame)},
                                 {"16", PairRun(kSame, {900, 900, 900})},
                                 {"256", PairRun(kSame, kSame)}});
  EXPECT_FALSE(out.sweep().crossover().found());
  EXPECT_THAT(out.sweep().crossover().statement(),
              HasSubstr("does not exceed sync's by at least 20% with separate "
                        "ranges from any upstream_delay on, nor up to any, "
                        "within the swept range (8 to 256); it did at 16 "
                        "only."));
}

TEST(SweepTest, BoundsErAgainstTheChallenger) {
  // sync met the SLO to the ramp's end: it may have more; nothing judged.
  pb::Results out =
      Sweep({{"0ms", PairRun(kSame, {900, 900, 900}, "at_least_ramp_end")}});
  EXPECT_FALSE(out.sweep().points(0).has_capacity_ratio());
  EXPECT_THAT(out.sweep().points(0).judgement(),
              HasSubstr("not judged: sync met the SLO up to the ramp's end"));
  // async missed at the first step: it counts as 0.
  out = Sweep({{"0ms", PairRun(kSame, {0, 0, 0}, "within_precision",
                               "below_ramp_start")}});
  EXPECT_EQ(out.sweep().points(0).capacity_ratio(), 0);
  EXPECT_FALSE(out.sweep().points(0).pays());
  // An undecided search: not judged.
  out = Sweep({{"0ms", PairRun(kSame, kSame, "undecided")}});
  EXPECT_THAT(out.sweep().points(0).judgement(),
              HasSubstr("not judged: sync's capacity search did not decide"));
}

TEST(SweepTest, SingleRunsAreLabelledNotClaimed) {
  const pb::Results out = Sweep({{"0ms", PairRun({500}, {900})}});
  EXPECT_TRUE(out.sweep().crossover().found());
  EXPECT_THAT(out.sweep().crossover().statement(),
              StartsWith("Single run per value, so not a claim: async's"));
  EXPECT_EQ(out.verdict().basis(), "single run per value");
}

TEST(SweepTest, PointsCarryEachArmsFigures) {
  const pb::Results out = Sweep({{"0ms", PairRun(kSame, {520, 500, 530})}});
  std::vector<std::string> names;
  for (const pb::VerdictFact& fact : out.sweep().points(0).facts()) {
    names.push_back(fact.name() + "/" + fact.target());
    if (fact.name() == "rss_mb") {
      EXPECT_EQ(fact.median(), 50);
    }
    if (fact.name() == "errors_at") {
      EXPECT_EQ(fact.median(), 400);
      EXPECT_EQ(fact.load_unit(), "calls/s");
    }
  }
  for (const char* want : {"capacity/sync", "capacity/async", "errors_at/sync",
                           "rss_mb/async", "peak_goodput/async"}) {
    EXPECT_THAT(names, testing::Contains(want));
  }
  EXPECT_EQ(out.sweep().points(0).capacity_status_size(), 6);
  EXPECT_EQ(out.sweep().points(0).directory(), "upstream_delay-0ms");
}

TEST(SweepTest, VerdictStatesBasisCrossoverRatiosAndFailures) {
  const pb::Results out = Sweep({{"0ms", PairRun(kSame, kSame)},
                                 {"20ms", PairRun(kSame, {650, 700, 640})}});
  const pb::Verdict& verdict = out.verdict();
  ASSERT_GE(verdict.sentences_size(), 5);
  EXPECT_THAT(verdict.sentences(0),
              HasSubstr("Sweep of upstream_delay over 0ms, 20ms"));
  EXPECT_EQ(verdict.sentences(1), out.sweep().crossover().statement());
  EXPECT_THAT(verdict.sentences(2), HasSubstr("0ms 1.00x, 20ms 1.30x (pays)"));
  EXPECT_THAT(verdict.sentences(3), StartsWith("At upstream_delay = 20ms: "));
  EXPECT_EQ(verdict.basis(), "3 runs each per value");
  EXPECT_FALSE(verdict.rules().empty());
  EXPECT_EQ(out.config().description(), "a sweep");
  EXPECT_TRUE(out.targets().empty());
}

TEST(SweepTest, EachValuesOwnSloIsSaid) {
  pb::Results slower = PairRun(kSame, kSame);
  slower.mutable_config()->set_slo("p99<=140ms");
  const pb::Results out =
      Sweep({{"20ms", std::move(slower)}, {"0ms", PairRun(kSame, kSame)}});
  EXPECT_EQ(out.sweep().slo(),
            "of each value (p99<=100ms at 0ms to p99<=140ms at 20ms)");
  EXPECT_EQ(out.sweep().points(1).slo(), "p99<=140ms");
  EXPECT_THAT(out.sweep().crossover().statement(),
              HasSubstr("capacity under the SLO of each value (p99<=100ms"));
}

TEST(SweepTest, BadInputIsNamed) {
  auto build = [](std::vector<SweepInput> inputs) {
    return BuildSweep("upstream_delay", std::move(inputs), "").status();
  };
  EXPECT_THAT(build({}).message(), HasSubstr("at least one VALUE=DIR"));
  pb::Results one_target = PairRun(kSame, kSame);
  one_target.mutable_targets()->RemoveLast();
  EXPECT_THAT(build({{"0ms", "d", one_target}}).message(),
              HasSubstr("sweep value 0ms (d) has 1 targets, not 2"));
  EXPECT_THAT(build({{"0ms", "a", PairRun(kSame, kSame)},
                     {"0ms", "b", PairRun(kSame, kSame)}})
                  .message(),
              HasSubstr("is given twice"));
  EXPECT_THAT(build({{"0ms", "a", PairRun(kSame, kSame)},
                     {"8", "b", PairRun(kSame, kSame)}})
                  .message(),
              HasSubstr("mix durations and counts"));
  pb::Results other = PairRun(kSame, kSame);
  other.mutable_targets(1)->set_name("floor");
  EXPECT_THAT(build({{"0ms", "a", PairRun(kSame, kSame)}, {"1ms", "b", other}})
                  .message(),
              HasSubstr("unlike the first value's"));
  EXPECT_THAT(build({{"fast", "a", PairRun(kSame, kSame)}}).message(),
              HasSubstr("neither a duration"));
}

}  // namespace
}  // namespace asyncgrpc::loadgen
