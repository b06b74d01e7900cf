#include "loadgen/verdict/verdict.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// An open-loop step at `rate` calls/s, one second measured; failed calls are
// RESOURCE_EXHAUSTED.
pb::Step Step(int index, double rate, int64_t ok, int64_t failed = 0) {
  pb::Step step;
  step.set_index(index);
  step.set_rate(rate);
  step.set_requests(ok + failed);
  step.set_ok(ok);
  step.set_rps(static_cast<double>(ok + failed));
  step.set_valid(true);
  if (failed > 0) {
    (*step.mutable_errors())["RESOURCE_EXHAUSTED"] = failed;
  }
  return step;
}

// A run that ramps 100, 200, ... calls/s, clean up to `errors_from` (where
// half the calls fail from then on), with the given capacity.
pb::TargetResult MakeRun(const std::string& name, double capacity,
                         double errors_from = 400) {
  pb::TargetResult run;
  run.set_name(name);
  for (int i = 0; i < 5; ++i) {
    const double rate = 100.0 * (i + 1);
    *run.add_steps() = rate < errors_from
                           ? Step(i, rate, static_cast<int64_t>(rate))
                           : Step(i, rate, static_cast<int64_t>(rate / 2),
                                  static_cast<int64_t>(rate / 2));
    if (rate >= errors_from && !run.summary().has_errors_step()) {
      run.mutable_summary()->set_errors_step(i);
      run.mutable_summary()->set_errors_at(rate);
    }
  }
  run.mutable_capacity()->set_status("within_precision");
  run.mutable_summary()->set_capacity(capacity);
  return run;
}

// Two targets, each with `runs` runs of the given capacities (repeats when
// more than one).
pb::Results Results(const std::vector<double>& sync_capacity,
                    const std::vector<double>& async_capacity) {
  pb::Results results;
  results.mutable_config()->set_mode("open");
  results.mutable_config()->set_slo("p99<=100ms");
  for (const auto& [name, capacities] :
       {std::pair{"sync", sync_capacity}, std::pair{"async", async_capacity}}) {
    pb::TargetResult* target = results.add_targets();
    *target = MakeRun(name, capacities[0]);
    for (size_t i = 0; capacities.size() > 1 && i < capacities.size(); ++i) {
      *target->add_repeats() = MakeRun(name, capacities[i]);
    }
  }
  return results;
}

const pb::VerdictFact* FindFact(const pb::Verdict& verdict,
                                const std::string& name,
                                const std::string& target) {
  for (const pb::VerdictFact& fact : verdict.facts()) {
    if (fact.name() == name && fact.target() == target) {
      return &fact;
    }
  }
  return nullptr;
}

TEST(VerdictTest, NeedsExactlyTwoTargets) {
  pb::Results results = Results({500}, {700});
  results.mutable_targets()->RemoveLast();
  EXPECT_TRUE(BuildVerdict(results).sentences().empty());
  EXPECT_EQ(VerdictText(BuildVerdict(results)), "");
}

TEST(VerdictTest, ASingleRunGivesFiguresButClaimsNothing) {
  const pb::Verdict verdict = BuildVerdict(Results({500}, {700}));
  EXPECT_EQ(verdict.basis(), "single run");
  EXPECT_GE(verdict.sentences_size(), 3);
  EXPECT_LE(verdict.sentences_size(), 6);
  EXPECT_THAT(verdict.text(),
              AllOf(HasSubstr("Single run"),
                    HasSubstr("In this single run, the load under the SLO "
                              "p99<=100ms was 500 calls/s for sync "
                              "and 700 for async"),
                    HasSubstr("one run supports no claim"),
                    Not(HasSubstr("sustained more"))));
  EXPECT_FALSE(verdict.rules().empty());
}

TEST(VerdictTest, SeparateRangesOverThreeRunsAreADifference) {
  const pb::Verdict verdict =
      BuildVerdict(Results({500, 520, 480}, {700, 760, 690}));
  EXPECT_EQ(verdict.basis(), "3 runs each");
  EXPECT_THAT(verdict.text(),
              HasSubstr("async sustained more load under the SLO p99<=100ms: "
                        "700 (range 690-760) calls/s against sync's 500 (range "
                        "480-520), 1.40x as much."));
  const pb::VerdictFact* fact = FindFact(verdict, "capacity", "async");
  ASSERT_NE(fact, nullptr);
  EXPECT_EQ(fact->median(), 700);
  EXPECT_EQ(fact->min(), 690);
  EXPECT_EQ(fact->max(), 760);
  EXPECT_EQ(fact->runs(), 3);
}

TEST(VerdictTest, OverlappingRangesAreNoDifference) {
  const pb::Verdict verdict =
      BuildVerdict(Results({500, 359, 516}, {359, 500, 359}));
  EXPECT_THAT(verdict.text(),
              AllOf(HasSubstr("Neither arm sustained more load under the SLO "
                              "p99<=100ms: sync 500 (range 359-516) and async "
                              "359 (range 359-500) calls/s overlap"),
                    Not(HasSubstr("as much"))));
}

TEST(VerdictTest, TwoRunsClaimNothing) {
  const pb::Verdict verdict = BuildVerdict(Results({500, 520}, {900, 950}));
  EXPECT_THAT(verdict.text(), AllOf(HasSubstr("Over 2 runs"),
                                    HasSubstr("so few runs support no claim"),
                                    Not(HasSubstr("sustained more"))));
}

TEST(VerdictTest, AnUndecidedSearchIsNotCompared) {
  pb::Results results = Results({500}, {700});
  results.mutable_targets(1)->mutable_capacity()->set_status("undecided");
  results.mutable_targets(1)->mutable_summary()->clear_capacity();
  EXPECT_THAT(BuildVerdict(results).text(),
              HasSubstr("could not be compared: async's search met an invalid "
                        "step"));
}

TEST(VerdictTest, ALowerBoundIsSaidSo) {
  pb::Results results = Results({500}, {700});
  results.mutable_targets(1)->mutable_capacity()->set_status(
      "at_least_ramp_end");
  EXPECT_THAT(BuildVerdict(results).text(),
              HasSubstr("(lower bounds where an arm met the SLO up to the "
                        "ramp's end: async in 1 of 1 runs)."));
}

TEST(VerdictTest, PeakThroughputCountsOnlySuccessfulCallsOfValidSteps) {
  pb::Results results = Results({500}, {700});
  // sync: 500 calls/s with half failed = 250 good; best is 300 at step 2.
  // async: its 500 step had every call succeed but was invalid.
  pb::Step* step = results.mutable_targets(1)->mutable_steps(4);
  step->set_ok(step->requests());
  step->set_valid(false);
  const pb::Verdict verdict = BuildVerdict(results);
  EXPECT_EQ(FindFact(verdict, "peak_goodput", "sync")->median(), 300);
  EXPECT_EQ(FindFact(verdict, "peak_goodput", "async")->median(), 300);
}

TEST(VerdictTest, APoolLimitIsNamedFromTheServersGauges) {
  pb::Results results = Results({500}, {700});
  pb::ServerMetrics* metrics =
      results.mutable_targets(0)->mutable_steps(3)->add_server_metrics();
  (*metrics->mutable_gauges())["asyncgrpc_threads"] = 40;
  (*metrics->mutable_gauges())["asyncgrpc_db_connections{state=\"in_use\"}"] =
      16;
  (*metrics->mutable_gauges())["asyncgrpc_db_connections{state=\"idle\"}"] = 0;
  (*metrics->mutable_gauges())["asyncgrpc_db_waiting"] = 12;
  (*metrics->mutable_rpcs_by_code())["RESOURCE_EXHAUSTED"] = 450;
  const std::string text = BuildVerdict(results).text();
  EXPECT_THAT(text, HasSubstr("sync failed with RESOURCE_EXHAUSTED from 400 "
                              "calls/s (450 of 450 failed calls); at its "
                              "onset: 40 threads, 16 of 16 open connections "
                              "busy, 12 calls waiting for the database pool: "
                              "the database pool was the limit; the service "
                              "itself answered them with RESOURCE_EXHAUSTED."));
  EXPECT_THAT(text, HasSubstr("async failed with RESOURCE_EXHAUSTED from 400 "
                              "calls/s (450 of 450 failed calls); neither its "
                              "server's metrics (--metrics_url) nor CPU "
                              "(--cpu_pid) were recorded"));
}

TEST(VerdictTest, CallsTheServiceNeverSawWereRefusedBeforeIt) {
  pb::Results results = Results({500}, {700});
  pb::ServerMetrics* metrics =
      results.mutable_targets(0)->mutable_steps(3)->add_server_metrics();
  (*metrics->mutable_gauges())["asyncgrpc_threads"] = 258;
  (*metrics->mutable_gauges())["asyncgrpc_db_waiting"] = 0;
  (*metrics->mutable_rpcs_by_code())["RESOURCE_EXHAUSTED"] = 3;
  EXPECT_THAT(BuildVerdict(results).text(),
              HasSubstr("258 threads, 0 calls waiting for the database pool: "
                        "neither the pool nor the CPU was saturated; the "
                        "service counted only 3 of them: the rest were "
                        "refused before they reached it."));
}

TEST(VerdictTest, BusyCoresMakeTheCpuTheLimit) {
  pb::Results results = Results({500}, {700});
  results.mutable_environment()->set_cpus(2);
  // The onset step measured 400 calls in one second.
  pb::Step* onset = results.mutable_targets(1)->mutable_steps(3);
  (*onset->mutable_processes())["async"].set_cpu_s(0.7);
  (*onset->mutable_processes())["db"].set_cpu_s(0.9);
  (*onset->mutable_processes())["loadgen"].set_cpu_s(0.3);
  pb::ServerMetrics* metrics = onset->add_server_metrics();
  (*metrics->mutable_gauges())["asyncgrpc_db_waiting"] = 5;
  (*metrics->mutable_rpcs_by_code())["RESOURCE_EXHAUSTED"] = 450;
  EXPECT_THAT(BuildVerdict(results).text(),
              HasSubstr("async failed with RESOURCE_EXHAUSTED from 400 calls/s "
                        "(450 of 450 failed calls); at its onset: 5 calls "
                        "waiting for the database pool, 1.9 of 2 cores busy "
                        "(PostgreSQL 0.9, loadgen 0.3, server 0.7): the "
                        "machine's CPU was the limit, with calls queued for "
                        "the database pool behind it; the service itself "
                        "answered them"));
}

TEST(VerdictTest, LatencyAloneAndAnInvalidOnsetAreTold) {
  pb::Results results = Results({500}, {700});
  pb::TargetResult& sync = *results.mutable_targets(0);
  sync = MakeRun("sync", 500, /*errors_from=*/1e9);
  sync.mutable_steps(2)->set_slo_met(false);
  results.mutable_targets(1)->mutable_steps(3)->set_valid(false);
  const std::string text = BuildVerdict(results).text();
  EXPECT_THAT(text, HasSubstr("sync failed by latency alone, without errors, "
                              "from 300 calls/s"));
  EXPECT_THAT(text, HasSubstr("async's first failure fell in a step where "
                              "loadgen itself was the bottleneck"));
}

TEST(VerdictTest, CpuPerCallAtTheHighestLoadBothRanClean) {
  pb::Results results = Results({500, 500, 500}, {700, 700, 700});
  for (pb::TargetResult& target : *results.mutable_targets()) {
    int run = 0;
    for (pb::TargetResult& repeat : *target.mutable_repeats()) {
      ++run;
      for (pb::Step& step : *repeat.mutable_steps()) {
        (*step.mutable_cpu_per_call_us())[target.name()] = 100 + run;
        (*step.mutable_cpu_per_call_us())["db"] = 50;
      }
    }
  }
  // One run of async missed the SLO at 300: 200 is the highest clean load.
  results.mutable_targets(1)->mutable_repeats(2)->mutable_steps(2)->set_slo_met(
      false);
  const pb::Verdict verdict = BuildVerdict(results);
  EXPECT_THAT(
      verdict.text(),
      HasSubstr("At 200 calls/s, the highest load every run of both "
                "arms ran clean, CPU per successful call was sync: "
                "server 102 (range 101-103) µs, PostgreSQL 50 µs; async: "
                "server 102 (range 101-103) µs, PostgreSQL 50 µs (medians of 3 "
                "runs)."));
  const pb::VerdictFact* fact = FindFact(verdict, "cpu_per_call_us", "sync");
  ASSERT_NE(fact, nullptr);
  EXPECT_EQ(fact->detail(), "sync");
  EXPECT_EQ(fact->load(), 200);
}

TEST(VerdictTest, NoCleanLoadMeansNoCpuComparison) {
  pb::Results results = Results({500}, {700});
  for (pb::Step& step : *results.mutable_targets(0)->mutable_steps()) {
    step.set_slo_met(false);
  }
  EXPECT_THAT(BuildVerdict(results).text(),
              HasSubstr("No load ran clean (valid, no failed call, within the "
                        "SLO) in every run of both arms, so CPU per call is "
                        "not compared."));
}

TEST(VerdictTest, TextListsEverySentenceUnderItsBasis) {
  const pb::Verdict verdict = BuildVerdict(Results({500}, {700}));
  const std::string text = VerdictText(verdict);
  EXPECT_THAT(text, HasSubstr("verdict (single run):\n  Single run:"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'),
            verdict.sentences_size() + 1);
}

}  // namespace
}  // namespace asyncgrpc::loadgen
