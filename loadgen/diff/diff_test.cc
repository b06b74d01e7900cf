#include "loadgen/diff/diff.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "loadgen/diff/diff_command.h"
#include "loadgen/diff/format.h"
#include "loadgen/diff/samples.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

constexpr int kSteps = 10;
constexpr int kStepSeconds = 10;
constexpr double kWarmup = 2;

// A small deterministic jitter in [-1, 1], different per step and second.
double Jitter(int step, int second) {
  return ((step * 7 + second * 3) % 5 - 2) / 2.0;
}

// A closed-loop run of two targets, 10 steps of 10 timeline seconds each (2 of
// warm-up), as loadgen writes it: steps on a fixed plan, each second of the
// timeline labelled with its step. `latency` scales every latency, `rps`
// every throughput.
pb::Results FakeRun(double latency = 1, double rps = 1) {
  pb::Results results;
  pb::Config& c = *results.mutable_config();
  c.set_mode("closed");
  c.set_ramp_start(10);
  c.set_ramp_end(100);
  c.set_ramp_step(10);
  c.set_step_duration_s(kStepSeconds);
  c.set_warmup_s(kWarmup);
  c.set_seed(1);
  c.set_shard_count(1);
  for (const std::string name : {"sync", "async"}) {
    c.add_targets()->set_name(name);
    pb::TargetResult& target = *results.add_targets();
    target.set_name(name);
    for (int i = 0; i < kSteps; ++i) {
      const double p50 = (2 + 0.1 * i) * latency;
      pb::Step& step = *target.add_steps();
      step.set_index(i);
      step.set_users(10 * (i + 1));
      step.set_start_s(kStepSeconds * i);
      step.set_duration_s(kStepSeconds - kWarmup);
      step.set_rps(100 * (i + 1) * rps);
      step.set_p50_ms(p50);
      step.set_p95_ms(p50 * 2);
      step.set_p99_ms(p50 * 3);
      for (int k = 0; k < kStepSeconds; ++k) {
        pb::TimelinePoint& p = *target.add_timeline();
        p.set_t_s(kStepSeconds * i + k);
        p.set_step(i);
        p.set_rps((100 * (i + 1) + 4 * Jitter(i, k)) * rps);
        p.set_p50_ms(p50 * (1 + 0.02 * Jitter(i, k)));
        p.set_p95_ms(p50 * 2 * (1 + 0.02 * Jitter(i, k + 1)));
        p.set_p99_ms(p50 * 3 * (1 + 0.02 * Jitter(i, k + 2)));
      }
    }
  }
  return results;
}

int Count(const DiffReport& report, Change change) {
  int n = 0;
  for (const TargetDiff& target : report.targets) {
    for (const StepDiff& step : target.steps) {
      for (const MetricDiff& metric : step.metrics) {
        n += metric.change == change ? 1 : 0;
      }
    }
  }
  return n;
}

TEST(SamplesTest, OnlyTheStepsSecondsInsideItsMeasuredWindow) {
  const pb::Results run = FakeRun();
  const pb::TargetResult& target = run.targets(0);
  const StepSamples samples = SamplesOf(run.config(), target, target.steps(3));
  // Seconds 32..39: 30 and 31 are warm-up.
  EXPECT_EQ(samples.seconds, kStepSeconds - kWarmup);
  EXPECT_EQ(samples.rps.size(), 8u);
  EXPECT_EQ(samples.p99_ms.size(), 8u);
  EXPECT_DOUBLE_EQ(samples.rps[0], 400 + 4 * Jitter(3, 2));
}

TEST(SamplesTest, SecondsWithoutCallsGiveNoLatency) {
  pb::Results run = FakeRun();
  pb::TargetResult& target = *run.mutable_targets(0);
  pb::TimelinePoint& idle = *target.mutable_timeline(35);
  idle.set_rps(0);
  idle.set_p50_ms(0);
  const StepSamples samples = SamplesOf(run.config(), target, target.steps(3));
  EXPECT_EQ(samples.rps.size(), 8u);
  EXPECT_EQ(samples.p50_ms.size(), 7u);
}

TEST(DiffTest, IdenticalRunsDifferNowhere) {
  const absl::StatusOr<DiffReport> report = DiffResults(FakeRun(), FakeRun());
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->targets.size(), 2u);
  EXPECT_EQ(report->targets[0].steps.size(), 10u);
  EXPECT_EQ(Count(*report, Change::kWorse), 0);
  EXPECT_EQ(Count(*report, Change::kBetter), 0);
  EXPECT_TRUE(report->targets[0].steps[4].metrics[0].tested);
  EXPECT_FALSE(Regressed(*report, 1));
  const std::string text = FormatDiff(*report);
  EXPECT_TRUE(absl::StrContains(text, "Mann-Whitney U")) << text;
  EXPECT_TRUE(absl::StrContains(
      text, "\nsync: no significant difference at any of 10 steps\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(
      text, "\nasync: no significant difference at any of 10 steps\n"))
      << text;
}

TEST(DiffTest, WarmUpSecondsAreLeftOut) {
  pb::Results b = FakeRun();
  for (pb::TimelinePoint& p : *b.mutable_targets(0)->mutable_timeline()) {
    if (static_cast<int>(p.t_s()) % kStepSeconds < kWarmup) {
      p.set_p99_ms(p.p99_ms() * 10);
    }
  }
  const absl::StatusOr<DiffReport> report = DiffResults(FakeRun(), b);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(Count(*report, Change::kWorse), 0);
}

TEST(DiffTest, ASlowerCopyIsWorse) {
  const absl::StatusOr<DiffReport> report =
      DiffResults(FakeRun(), FakeRun(1.5));
  ASSERT_TRUE(report.ok()) << report.status();
  const MetricDiff& p99 =
      report->targets[0].steps[7].metrics[static_cast<int>(Metric::kP99)];
  EXPECT_EQ(p99.change, Change::kWorse);
  EXPECT_NEAR(*p99.change_pct, 50, 1e-9);
  EXPECT_LT(p99.p_value, 0.001);
  // Latency is worse everywhere, throughput the same.
  EXPECT_EQ(Count(*report, Change::kWorse), 2 * 10 * 3);
  EXPECT_EQ(Count(*report, Change::kBetter), 0);
  EXPECT_TRUE(Regressed(*report, 20));
  EXPECT_FALSE(Regressed(*report, 60));
  const std::string verdict = Verdict(report->load_name, report->targets[0]);
  EXPECT_TRUE(absl::StartsWith(
      verdict,
      "sync: B is worse at 10 of 10 steps (p50 at 10, p95 at 10, "
      "p99 at 10); worst: p50 +50.0% at step 0 (users 10)"))
      << verdict;
}

TEST(DiffTest, TheVerdictNamesTheWorstStep) {
  pb::Results b = FakeRun(1.5);
  // Step 7's p99 rises by 80% rather than 50%.
  pb::TargetResult& sync = *b.mutable_targets(0);
  sync.mutable_steps(7)->set_p99_ms(sync.steps(7).p99_ms() * 1.2);
  for (pb::TimelinePoint& p : *sync.mutable_timeline()) {
    if (p.step() == 7) {
      p.set_p99_ms(p.p99_ms() * 1.2);
    }
  }
  const absl::StatusOr<DiffReport> report = DiffResults(FakeRun(), b);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(Regressed(*report, 60));
  EXPECT_EQ(Verdict(report->load_name, report->targets[0]),
            "sync: B is worse at 10 of 10 steps (p50 at 10, p95 at 10, p99 at "
            "10); worst: p99 +80.0% at step 7 (users 80)");
}

TEST(DiffTest, AFasterCopyIsBetterNotARegression) {
  const absl::StatusOr<DiffReport> report =
      DiffResults(FakeRun(), FakeRun(0.7, 1.2));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(Count(*report, Change::kWorse), 0);
  EXPECT_EQ(Count(*report, Change::kBetter), 2 * 10 * 4);
  EXPECT_FALSE(Regressed(*report, 1));
  const std::string verdict = Verdict(report->load_name, report->targets[1]);
  EXPECT_TRUE(absl::StartsWith(verdict, "async: B is better at 10 of 10 steps"))
      << verdict;
  EXPECT_FALSE(absl::StrContains(verdict, "worse")) << verdict;
}

TEST(DiffTest, WorseAndBetterAreBothReported) {
  // B serves more calls per second, but slower ones.
  const absl::StatusOr<DiffReport> report =
      DiffResults(FakeRun(), FakeRun(1.5, 1.2));
  ASSERT_TRUE(report.ok()) << report.status();
  const std::string verdict = Verdict(report->load_name, report->targets[0]);
  EXPECT_TRUE(absl::StrContains(verdict, "B is worse at 10 of 10 steps"))
      << verdict;
  EXPECT_TRUE(absl::StrContains(verdict,
                                "B is better at 10 of 10 steps (rps "
                                "at 10); best: rps +20.0%"))
      << verdict;
}

TEST(DiffTest, ShortStepsAreNeverSignificant) {
  pb::Results a = FakeRun();
  pb::Results b = FakeRun(1.5);
  for (pb::Results* run : {&a, &b}) {
    for (pb::TargetResult& target : *run->mutable_targets()) {
      // Only seconds 2 and 3 of each step fall in the window.
      for (pb::Step& step : *target.mutable_steps()) {
        step.set_duration_s(2);
      }
    }
  }
  const absl::StatusOr<DiffReport> report = DiffResults(a, b);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(Count(*report, Change::kWorse), 0);
  EXPECT_FALSE(report->targets[0].steps[0].metrics[0].tested);
  const std::string text = FormatDiff(*report);
  EXPECT_TRUE(absl::StrContains(text, "too short to test (2 s in A, 2 s in B)"))
      << text;
  EXPECT_TRUE(absl::StrContains(
      text,
      "sync: no significant difference at any of 0 tested steps; 10 "
      "of 10 steps too short to test"))
      << text;
}

TEST(DiffTest, AnotherConfigIsRefusedNamingTheField) {
  pb::Results b = FakeRun();
  b.mutable_config()->set_ramp_end(200);
  b.mutable_config()->set_command("loadgen --users 10:200:10");
  const absl::StatusOr<DiffReport> report = DiffResults(FakeRun(), b);
  ASSERT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(report.status().message(),
            "diff: A and B ran different configs: ramp_end is \"100\" in A, "
            "\"200\" in B");
}

TEST(DiffTest, WhatDoesNotShapeTheLoadMayDiffer) {
  pb::Results b = FakeRun();
  b.mutable_config()->set_command("loadgen --out elsewhere");
  b.mutable_config()->set_start_at("2026-11-25T14:00:00Z");
  b.mutable_config()->set_slowdown_factor(3);
  b.mutable_config()->mutable_targets(0)->set_address("10.0.0.5:50051");
  b.mutable_config()->set_shard_count(0);  // Files from before sharding.
  EXPECT_TRUE(DiffResults(FakeRun(), b).ok());
}

TEST(DiffTest, AMissingTargetMakesUnrelatedRuns) {
  pb::Results b = FakeRun();
  b.mutable_targets()->RemoveLast();
  const absl::StatusOr<DiffReport> report = DiffResults(FakeRun(), b);
  ASSERT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(report.status().message(),
            "diff: unrelated runs: target \"async\" is only in A (A has "
            "async,sync; B has sync)");
}

TEST(DiffTest, AnEarlyEndComparesTheStepsBothRan) {
  pb::Results b = FakeRun(1.5);
  b.mutable_targets(0)->mutable_steps()->DeleteSubrange(7, 3);
  const absl::StatusOr<DiffReport> report = DiffResults(FakeRun(), b);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->targets[0].steps.size(), 7u);
  EXPECT_TRUE(absl::StrContains(Verdict(report->load_name, report->targets[0]),
                                "; A ran 10 steps, B ran 7"));
}

class DiffCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/loadgen-diff-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A results directory holding `results`' results.json, written as loadgen
  // writes it (protobuf's JSON printer).
  std::string Write(const std::string& name, const pb::Results& results) {
    const std::string dir = dir_ + "/" + name;
    std::filesystem::create_directories(dir);
    std::string json;
    EXPECT_TRUE(
        google::protobuf::util::MessageToJsonString(results, &json).ok());
    std::ofstream(dir + "/results.json") << json;
    return dir;
  }

  int Diff(const std::string& a, const std::string& b,
           std::optional<double> pct = std::nullopt) {
    out_.str("");
    err_.str("");
    return DiffCommand(a, b, pct, out_, err_);
  }

  std::string dir_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(DiffCommandTest, ExitCodes) {
  const std::string a = Write("a", FakeRun());
  const std::string same = Write("same", FakeRun());
  const std::string slow = Write("slow", FakeRun(1.5));
  EXPECT_EQ(Diff(a, same, 20), 0) << err_.str();
  EXPECT_TRUE(absl::StrContains(out_.str(), "no significant difference"));
  EXPECT_EQ(err_.str(), "");
  // The results.json path itself does as well as its directory.
  EXPECT_EQ(Diff(a + "/results.json", slow), 0) << err_.str();
  EXPECT_TRUE(absl::StrContains(out_.str(), "sync: B is worse"));
  EXPECT_EQ(Diff(a, slow, 60), 0) << err_.str();
  EXPECT_EQ(Diff(a, slow, 20), 1);
  EXPECT_TRUE(absl::StrContains(out_.str(), "sync: B is worse"));
  EXPECT_EQ(err_.str(),
            "loadgen: B is significantly worse than A by more than 20% at "
            "some step (--fail_on_regression)\n");
}

// One line on err, nothing on out.
void ExpectBadInput(int code, const std::string& out, const std::string& err,
                    const std::string& expected) {
  EXPECT_EQ(code, 2);
  EXPECT_EQ(out, "");
  EXPECT_TRUE(absl::StartsWith(err, "loadgen: ")) << err;
  EXPECT_TRUE(absl::EndsWith(err, "\n")) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_TRUE(absl::StrContains(err, expected)) << err;
}

TEST_F(DiffCommandTest, BadInputIsOneLineAndExitTwo) {
  const std::string a = Write("a", FakeRun());
  int code = Diff(a, dir_ + "/no-such-dir");
  ExpectBadInput(code, out_.str(), err_.str(), "no-such-dir");
  pb::Results other = FakeRun();
  other.mutable_config()->set_warmup_s(1);
  code = Diff(a, Write("other", other));
  ExpectBadInput(code, out_.str(), err_.str(), "warmup_s");
  other = FakeRun();
  other.mutable_targets()->RemoveLast();
  code = Diff(Write("one-target", other), a);
  ExpectBadInput(code, out_.str(), err_.str(), "unrelated runs");
  std::ofstream(dir_ + "/junk.json") << "{\"not\": \"results\"}";
  code = Diff(a, dir_ + "/junk.json");
  ExpectBadInput(code, out_.str(), err_.str(), "junk.json");
  for (double pct : {0.0, -5.0}) {
    code = Diff(a, a, pct);
    ExpectBadInput(code, out_.str(), err_.str(), "--fail_on_regression");
  }
}

}  // namespace
}  // namespace asyncgrpc::loadgen
