#include "loadgen/distributed/merge.h"

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "loadgen/core/config.h"
#include "loadgen/core/histogram.h"
#include "loadgen/core/summary.h"
#include "loadgen/distributed/test_shards.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;
using test_shards::HistogramOf;
using test_shards::kShards;
using test_shards::Latencies;
using test_shards::Shard;
using test_shards::Shards;

TEST(MergeShardsTest, CountsAddUpAndPercentilesComeFromTheMergedHistogram) {
  absl::StatusOr<pb::Results> merged = MergeShards(Shards(), "loadgen merge");
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_EQ(merged->targets_size(), 1);
  const pb::TargetResult& t = merged->targets(0);
  ASSERT_EQ(t.steps_size(), 2);
  for (int k = 0; k < 2; ++k) {
    const pb::Step& s = t.steps(k);
    SCOPED_TRACE(k);
    Histogram all;
    Histogram uncorrected;
    int64_t requests = 0;
    int64_t ok = 0;
    double rps = 0;
    double p99_average = 0;
    for (int index = 0; index < kShards; ++index) {
      const pb::Results results = Shard(index);
      const pb::Step& shard = results.targets(0).steps(k);
      all.Merge(*Histogram::FromProto(shard.histogram()));
      uncorrected.Merge(*Histogram::FromProto(shard.uncorrected_histogram()));
      requests += shard.requests();
      ok += shard.ok();
      rps += shard.rps();
      p99_average += shard.p99_ms() / kShards;
    }
    EXPECT_EQ(s.index(), k);
    EXPECT_EQ(s.rate(), k == 0 ? 300 : 600);
    EXPECT_EQ(s.requests(), requests);
    EXPECT_EQ(s.ok(), ok);
    EXPECT_DOUBLE_EQ(s.rps(), rps);
    EXPECT_EQ(*Histogram::FromProto(s.histogram()), all);
    EXPECT_EQ(s.histogram().total(), s.requests());
    EXPECT_EQ(s.p50_ms(), Ms(all.ValueAtPercentile(50)));
    EXPECT_EQ(s.p90_ms(), Ms(all.ValueAtPercentile(90)));
    EXPECT_EQ(s.p95_ms(), Ms(all.ValueAtPercentile(95)));
    EXPECT_EQ(s.p99_ms(), Ms(all.ValueAtPercentile(99)));
    EXPECT_EQ(s.p999_ms(), Ms(all.ValueAtPercentile(99.9)));
    EXPECT_EQ(s.max_ms(), Ms(all.max()));
    // Not what averaging the shards' percentiles would claim.
    EXPECT_GT(std::abs(s.p99_ms() - p99_average), 1.0);
    EXPECT_EQ(*Histogram::FromProto(s.uncorrected_histogram()), uncorrected);
    EXPECT_EQ(s.uncorrected().p99_ms(), Ms(uncorrected.ValueAtPercentile(99)));
    EXPECT_NEAR(s.achieved_rate(), s.rate() * 0.999, 1e-9);
    EXPECT_NEAR(s.loadgen_cpu_cores(), 0.05 + 0.10 + 0.15, 1e-12);
    EXPECT_NEAR(s.duration_s(), 2.01, 1e-12);
    EXPECT_EQ(s.start_s(), 3.0 * k);
    EXPECT_TRUE(s.valid());
  }
  EXPECT_EQ(t.steps(1).errors().at("UNAVAILABLE"), 30);
  EXPECT_DOUBLE_EQ(t.steps(1).error_ratio(),
                   30.0 / static_cast<double>(t.steps(1).requests()));
  EXPECT_TRUE(t.note().empty()) << t.note();
}

TEST(MergeShardsTest, DetectionRunsAgainOnTheMergedSteps) {
  // Shard 2's 30 failures are 7.4% of its step, but 2.5% of the merged one;
  // a 3% threshold then finds no error onset, where shard 2 alone found one.
  std::vector<MergeInput> inputs = Shards();
  for (MergeInput& input : inputs) {
    input.results.mutable_config()->set_error_threshold(0.03);
    Summarize(RulesOf(input.results.config()), true,
              input.results.mutable_targets(0));
  }
  ASSERT_TRUE(inputs[0].results.targets(0).summary().has_errors_at());
  absl::StatusOr<pb::Results> merged =
      MergeShards(std::move(inputs), "loadgen merge");
  ASSERT_TRUE(merged.ok()) << merged.status();
  const pb::Summary& summary = merged->targets(0).summary();
  EXPECT_FALSE(summary.has_errors_at());
  EXPECT_EQ(summary.baseline_p95_ms(), merged->targets(0).steps(0).p95_ms());
  // Throughput followed the rate from 300 to 600/s: no saturation, and the
  // peak is the second step's.
  EXPECT_FALSE(summary.has_saturation_at());
  EXPECT_EQ(summary.max_rps(), merged->targets(0).steps(1).rps());
}

TEST(MergeShardsTest, ClosedLoopUsersAddUpToTheRamp) {
  absl::StatusOr<pb::Results> merged =
      MergeShards(Shards(/*open=*/false), "loadgen merge");
  ASSERT_TRUE(merged.ok()) << merged.status();
  // 10 users as 4 + 3 + 3, 20 as 7 + 7 + 6.
  EXPECT_EQ(merged->targets(0).steps(0).users(), 10);
  EXPECT_EQ(merged->targets(0).steps(1).users(), 20);
  EXPECT_FALSE(merged->targets(0).steps(0).has_uncorrected());
  EXPECT_TRUE(merged->targets(0).note().empty()) << merged->targets(0).note();
}

TEST(MergeShardsTest, ConfigSaysMergedAndListsTheShards) {
  absl::StatusOr<pb::Results> merged =
      MergeShards(Shards(), "loadgen merge --out x a b c");
  ASSERT_TRUE(merged.ok()) << merged.status();
  const pb::Config& c = merged->config();
  EXPECT_TRUE(c.merged());
  EXPECT_EQ(c.shard_count(), 3);
  EXPECT_EQ(c.shard_index(), 0);
  EXPECT_EQ(c.command(), "loadgen merge --out x a b c");
  EXPECT_EQ(c.start_at(), "2026-11-25T14:00:00Z");
  EXPECT_EQ(c.ramp_start(), 300);
  ASSERT_EQ(merged->shards_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(merged->shards(i).shard_index(), i);
    EXPECT_EQ(merged->shards(i).source(), absl::StrCat("shard", i));
    EXPECT_EQ(merged->shards(i).command(),
              absl::StrCat("loadgen --shard_index=", i));
    EXPECT_EQ(merged->shards(i).environment().hostname(),
              absl::StrCat("loadgen-", i));
  }
  EXPECT_EQ(merged->environment().hostname(),
            "loadgen-0, loadgen-1, loadgen-2");
  EXPECT_EQ(merged->environment().cpus(), 6);
  EXPECT_EQ(merged->environment().started_at(), "2026-11-25T13:59:55Z");
  EXPECT_EQ(merged->rules_size(), 1);
}

TEST(MergeShardsTest, TimelinesAreSummedSecondBySecond) {
  absl::StatusOr<pb::Results> merged = MergeShards(Shards(), "loadgen merge");
  ASSERT_TRUE(merged.ok()) << merged.status();
  const pb::TargetResult& t = merged->targets(0);
  ASSERT_EQ(t.timeline_size(), 6);
  for (int second = 0; second < 6; ++second) {
    const pb::TimelinePoint& p = t.timeline(second);
    Histogram all;
    for (int index = 0; index < kShards; ++index) {
      all.Merge(HistogramOf(Latencies(index, second, 100 + 10 * second)));
    }
    EXPECT_EQ(p.t_s(), second);
    EXPECT_EQ(p.step(), second / 3);
    EXPECT_EQ(p.rps(), static_cast<double>(all.count()));
    EXPECT_EQ(p.failures_per_s(), 1);
    EXPECT_EQ(p.p50_ms(), Ms(all.ValueAtPercentile(50)));
    EXPECT_EQ(p.p99_ms(), Ms(all.ValueAtPercentile(99)));
    // Merged output has the form of a single run: no per-second histograms.
    EXPECT_FALSE(p.has_histogram());
  }
}

TEST(MergeShardsTest, WithoutPerSecondHistogramsOnlyThroughputIsMerged) {
  std::vector<MergeInput> inputs = Shards();
  for (pb::TimelinePoint& p :
       *inputs[1].results.mutable_targets(0)->mutable_timeline()) {
    p.clear_histogram();
  }
  absl::StatusOr<pb::Results> merged =
      MergeShards(std::move(inputs), "loadgen merge");
  ASSERT_TRUE(merged.ok()) << merged.status();
  const pb::TargetResult& t = merged->targets(0);
  for (const pb::TimelinePoint& p : t.timeline()) {
    EXPECT_GT(p.rps(), 0);
    EXPECT_EQ(p.p50_ms(), 0);
    EXPECT_EQ(p.p99_ms(), 0);
  }
  EXPECT_TRUE(
      absl::StrContains(t.note(), "per-second latency left out for 6 s"))
      << t.note();
}

TEST(MergeShardsTest, AShardWithoutUncorrectedHistogramsLeavesUncorrectedOut) {
  std::vector<MergeInput> inputs = Shards();
  inputs[0]
      .results.mutable_targets(0)
      ->mutable_steps(1)
      ->clear_uncorrected_histogram();
  absl::StatusOr<pb::Results> merged =
      MergeShards(std::move(inputs), "loadgen merge");
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_TRUE(merged->targets(0).steps(0).has_uncorrected());
  EXPECT_FALSE(merged->targets(0).steps(1).has_uncorrected());
  EXPECT_TRUE(absl::StrContains(merged->targets(0).note(), "uncorrected"));
}

TEST(MergeShardsTest, InvalidStepsStayInvalidWithEveryReason) {
  std::vector<MergeInput> inputs = Shards();
  for (MergeInput& input : inputs) {
    const int index = input.results.config().shard_index();
    if (index != 1) {
      pb::Step* s = input.results.mutable_targets(0)->mutable_steps(1);
      s->set_valid(false);
      s->set_invalid_reason(absl::StrCat("reason ", index));
    }
  }
  absl::StatusOr<pb::Results> merged =
      MergeShards(std::move(inputs), "loadgen merge");
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_TRUE(merged->targets(0).steps(0).valid());
  EXPECT_FALSE(merged->targets(0).steps(1).valid());
  EXPECT_EQ(merged->targets(0).steps(1).invalid_reason(),
            "shard 0: reason 0; shard 2: reason 2");
  // Detection skips it: saturation is the first step's.
  EXPECT_EQ(merged->targets(0).summary().saturation_step(), 0);
}

TEST(MergeShardsTest, ShardsThatStoppedAtDifferentStepsMergeTheStepsAllRan) {
  std::vector<MergeInput> inputs = Shards();
  inputs[1].results.mutable_targets(0)->mutable_steps()->RemoveLast();
  inputs[1].results.mutable_targets(0)->set_note("stopped early");
  absl::StatusOr<pb::Results> merged =
      MergeShards(std::move(inputs), "loadgen merge");
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->targets(0).steps_size(), 1);
  EXPECT_TRUE(
      absl::StrContains(merged->targets(0).note(),
                        "different numbers of steps (by shard index: 1, 2, 2)"))
      << merged->targets(0).note();
  EXPECT_TRUE(
      absl::StrContains(merged->targets(0).note(), "shard 0: stopped early"))
      << merged->targets(0).note();
}

TEST(MergeShardsTest, ServerMetricsAreTakenFromOneShardNeverSummed) {
  std::vector<MergeInput> inputs = Shards();
  for (MergeInput& input : inputs) {
    const int index = input.results.config().shard_index();
    pb::ServerMetrics* m = input.results.mutable_targets(0)
                               ->mutable_steps(0)
                               ->add_server_metrics();
    m->set_url("http://10.0.0.7:9464/metrics");
    (*m->mutable_rpcs_by_code())["OK"] = 1000 + index;
    if (index == 0) {
      m->set_error("scrape at 14:00:01.000 (window start) failed: timed out");
    }
  }
  absl::StatusOr<pb::Results> merged =
      MergeShards(std::move(inputs), "loadgen merge");
  ASSERT_TRUE(merged.ok()) << merged.status();
  const pb::Step& s = merged->targets(0).steps(0);
  ASSERT_EQ(s.server_metrics_size(), 1);
  // Shard 0's scrape failed: shard 1's complete one is taken.
  EXPECT_EQ(s.server_metrics(0).rpcs_by_code().at("OK"), 1001);
  EXPECT_EQ(s.server_metrics(0).error(), "");
  EXPECT_EQ(merged->targets(0).steps(1).server_metrics_size(), 0);
}

TEST(MergeShardsTest, LoadgenCpuIsSummedServerAndDbCpuTakenFromOneShard) {
  std::vector<MergeInput> inputs = Shards();
  for (MergeInput& input : inputs) {
    const int index = input.results.config().shard_index();
    pb::Step* step = input.results.mutable_targets(0)->mutable_steps(0);
    auto& processes = *step->mutable_processes();
    processes["loadgen"].set_cpu_s(0.1 * (index + 1));
    processes["loadgen"].set_context_switches(100);
    processes["db"].set_cpu_s(2.0 + index);  // Each shard saw the same db.
    processes["db"].set_context_switches(10);
    if (index > 0) {
      processes[input.results.targets(0).name()].set_cpu_s(5);
    }
  }
  absl::StatusOr<pb::Results> merged =
      MergeShards(std::move(inputs), "loadgen merge");
  ASSERT_TRUE(merged.ok()) << merged.status();
  const pb::TargetResult& t = merged->targets(0);
  const pb::Step& s = t.steps(0);
  const double calls = static_cast<double>(s.ok());
  ASSERT_GT(calls, 0);
  EXPECT_NEAR(s.processes().at("loadgen").cpu_s(), 0.1 + 0.2 + 0.3, 1e-9);
  EXPECT_EQ(s.processes().at("loadgen").context_switches(), 300);
  EXPECT_EQ(s.processes().at("db").cpu_s(), 2.0);    // Shard 0's.
  EXPECT_EQ(s.processes().at(t.name()).cpu_s(), 5);  // The first that had it.
  EXPECT_NEAR(s.cpu_per_call_us().at("loadgen"), 0.6e6 / calls, 1e-6);
  EXPECT_NEAR(s.cpu_per_call_us().at("db"), 2e6 / calls, 1e-6);
  EXPECT_NEAR(s.context_switches_per_call().at("db"), 10 / calls, 1e-9);
  EXPECT_FALSE(s.context_switches_per_call().contains(t.name()));
  EXPECT_TRUE(t.steps(1).cpu_per_call_us().empty());
}

TEST(MergeShardsTest, ASingleWholeRunMergesIntoItself) {
  pb::Results whole = Shard(0);
  whole.mutable_config()->set_shard_count(0);  // As before sharding existed.
  for (pb::Step& s : *whole.mutable_targets(0)->mutable_steps()) {
    s.set_rate(s.rate() * kShards);
  }
  for (pb::TimelinePoint& p : *whole.mutable_targets(0)->mutable_timeline()) {
    p.clear_histogram();
  }
  absl::StatusOr<pb::Results> merged =
      MergeShards({{.source = "whole", .results = whole}}, "loadgen merge");
  ASSERT_TRUE(merged.ok()) << merged.status();
  const pb::TargetResult& t = merged->targets(0);
  EXPECT_EQ(t.steps(1).p99_ms(), whole.targets(0).steps(1).p99_ms());
  // The timeline's own percentiles are kept: one shard's are exact.
  EXPECT_EQ(t.timeline(2).p99_ms(), whole.targets(0).timeline(2).p99_ms());
  EXPECT_TRUE(t.note().empty()) << t.note();
}

struct Mismatch {
  std::string name;
  std::function<void(std::vector<MergeInput>&)> change;
  std::string expected;
};

TEST(MergeShardsTest,
     InputsThatAreNotOneRunsShardsAreRefusedNamingTheMismatch) {
  auto config = [](std::vector<MergeInput>& in, int i) {
    return in[i].results.mutable_config();
  };
  const std::vector<Mismatch> cases = {
      {"a shard missing", [](auto& in) { in.pop_back(); },
       "is shard 2 of 3 (shard_count 3) but 2 inputs were given"},
      {"a shard twice", [&](auto& in) { config(in, 0)->set_shard_index(1); },
       "are both shard_index 1 of 3"},
      {"index out of range",
       [&](auto& in) { config(in, 0)->set_shard_index(3); },
       "has shard_index 3 outside [0, 3)"},
      {"another shard count",
       [&](auto& in) { config(in, 1)->set_shard_count(4); },
       "(shard_count 4) but 3 inputs were given"},
      {"another scenario",
       [&](auto& in) { config(in, 1)->set_scenario("list"); },
       "scenario differs (\"list\" vs \"get\")"},
      {"another ramp", [&](auto& in) { config(in, 2)->set_ramp_end(900); },
       "ramp differs (\"300:900:300\" vs \"300:600:300\")"},
      {"another mode", [&](auto& in) { config(in, 2)->set_mode("closed"); },
       "mode differs"},
      {"another step duration",
       [&](auto& in) { config(in, 2)->set_step_duration_s(10); },
       "step_duration_s differs"},
      {"another seed", [&](auto& in) { config(in, 1)->set_seed(8); },
       "seed differs"},
      {"another start",
       [&](auto& in) { config(in, 1)->set_start_at("2026-11-25T15:00:00Z"); },
       "start_at differs"},
      {"another target address",
       [&](auto& in) {
         config(in, 1)->mutable_targets(0)->set_address("10.0.0.8:50052");
       },
       "targets differs"},
      {"already merged", [&](auto& in) { config(in, 1)->set_merged(true); },
       "shard0 is already a merged run"},
  };
  for (const Mismatch& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<MergeInput> inputs = Shards();
    c.change(inputs);
    absl::StatusOr<pb::Results> merged =
        MergeShards(std::move(inputs), "loadgen merge");
    ASSERT_FALSE(merged.ok());
    EXPECT_TRUE(absl::IsInvalidArgument(merged.status()));
    EXPECT_TRUE(absl::StrContains(merged.status().message(), c.expected))
        << merged.status();
    EXPECT_TRUE(absl::StartsWith(merged.status().message(), "merge: "));
    EXPECT_FALSE(absl::StrContains(merged.status().message(), "\n"));
  }
  EXPECT_FALSE(MergeShards({}, "loadgen merge").ok());
}

TEST(MergeShardsTest, ACorruptHistogramIsRefused) {
  std::vector<MergeInput> inputs = Shards();
  inputs[0].results.mutable_targets(0)->mutable_steps(0)->set_requests(1);
  absl::StatusOr<pb::Results> merged =
      MergeShards(std::move(inputs), "loadgen merge");
  EXPECT_TRUE(absl::IsInvalidArgument(merged.status()));
  EXPECT_TRUE(absl::StrContains(merged.status().message(),
                                "shard2: target async step 0"))
      << merged.status();
}

}  // namespace
}  // namespace asyncgrpc::loadgen
