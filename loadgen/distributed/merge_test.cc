#include "loadgen/distributed/merge.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "loadgen/core/config.h"
#include "loadgen/core/histogram.h"
#include "loadgen/core/summary.h"
#include "loadgen/report/outputs.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;
using google::protobuf::util::MessageDifferencer;

constexpr int kShards = 3;

// Latencies (µs) of one shard's step: shard 0 fast, shard 1 twice as slow,
// shard 2 with a slow tail, so averaging their percentiles would give other
// numbers than merging their histograms.
std::vector<int64_t> Latencies(int shard, int step, int count) {
  std::vector<int64_t> out;
  for (int j = 0; j < count; ++j) {
    int64_t us = 500 + 7 * ((j * 37 + step * 11) % 100);
    if (shard == 1) {
      us *= 2;
    }
    if (shard == 2 && j % 20 == 0) {
      us = 20'000 + 13 * j;
    }
    out.push_back(us);
  }
  return out;
}

Histogram HistogramOf(const std::vector<int64_t>& values) {
  Histogram h;
  for (int64_t v : values) {
    h.Record(v);
  }
  return h;
}

pb::Config RunConfig(int shard_index, int shard_count, bool open = true) {
  pb::Config c;
  pb::TargetSpec* target = c.add_targets();
  target->set_name("async");
  target->set_address("10.0.0.7:50052");
  c.set_mode(open ? "open" : "closed");
  c.set_ramp_start(open ? 300 : 10);
  c.set_ramp_end(open ? 600 : 20);
  c.set_ramp_step(open ? 300 : 10);
  c.set_step_duration_s(3);
  c.set_warmup_s(1);
  c.set_spawn_rate(100);
  c.set_think_time_s(1);
  c.set_scenario("get");
  c.set_deadline_s(10);
  c.set_channels(1);
  c.set_seed(7);
  c.set_slowdown_factor(2);
  c.set_error_threshold(0.01);
  c.set_stop_on_errors(2);
  c.set_max_in_flight(10000);
  c.set_shard_index(shard_index);
  c.set_shard_count(shard_count);
  c.set_start_at("2026-11-25T14:00:00Z");
  c.set_command(absl::StrCat("loadgen --shard_index=", shard_index));
  return c;
}

// Shard `index` of kShards of an open-loop ramp 300:600:300 (or closed 10:20:10
// users), two steps, with a timeline of 6 seconds.
pb::Results Shard(int index, bool open = true) {
  pb::Results r;
  *r.mutable_config() = RunConfig(index, kShards, open);
  r.mutable_environment()->set_hostname(absl::StrCat("loadgen-", index));
  r.mutable_environment()->set_cpus(2);
  r.mutable_environment()->set_started_at(
      absl::StrCat("2026-11-25T13:59:5", 7 - index, "Z"));
  r.add_rules("a rule");
  pb::TargetResult* t = r.add_targets();
  t->set_name("async");
  t->set_address("10.0.0.7:50052");
  const double levels[] = {open ? 300.0 : 10.0, open ? 600.0 : 20.0};
  for (int k = 0; k < 2; ++k) {
    pb::Step* s = t->add_steps();
    s->set_index(k);
    if (open) {
      s->set_rate(ShardRate(levels[k], kShards));
    } else {
      s->set_users(ShardUsers(static_cast<int>(levels[k]), index, kShards));
    }
    const int requests = 200 * (k + 1) + index;
    const std::vector<int64_t> latencies = Latencies(index, k, requests);
    const Histogram h = HistogramOf(latencies);
    s->set_start_s(3.0 * k + 0.001 * index);
    s->set_duration_s(2.0 + 0.01 * index);
    s->set_requests(requests);
    const int failed = index == 2 && k == 1 ? 30 : 0;
    s->set_ok(requests - failed);
    if (failed > 0) {
      (*s->mutable_errors())["UNAVAILABLE"] = failed;
    }
    s->set_error_ratio(static_cast<double>(failed) / requests);
    s->set_rps(requests / s->duration_s());
    s->set_achieved_rate(s->rate() * 0.999);
    SetStepLatency(h, s);
    h.ToProto(s->mutable_histogram());
    if (open) {
      std::vector<int64_t> uncorrected;
      for (int64_t v : latencies) {
        uncorrected.push_back(v - 100);
      }
      const Histogram u = HistogramOf(uncorrected);
      FillLatency(u, s->mutable_uncorrected());
      u.ToProto(s->mutable_uncorrected_histogram());
    }
    s->set_loadgen_cpu_cores(0.05 * (index + 1));
    s->set_valid(true);
  }
  for (int second = 0; second < 6; ++second) {
    pb::TimelinePoint* p = t->add_timeline();
    p->set_t_s(second);
    p->set_step(second / 3);
    const std::vector<int64_t> latencies =
        Latencies(index, second, 100 + 10 * second);
    const Histogram h = HistogramOf(latencies);
    p->set_rps(static_cast<double>(latencies.size()));
    p->set_failures_per_s(index == 2 ? 1 : 0);
    p->set_p50_ms(Ms(h.ValueAtPercentile(50)));
    p->set_p95_ms(Ms(h.ValueAtPercentile(95)));
    p->set_p99_ms(Ms(h.ValueAtPercentile(99)));
    h.ToProto(p->mutable_histogram());
  }
  Summarize(RulesOf(r.config()), open, t);
  return r;
}

std::vector<MergeInput> Shards(bool open = true) {
  std::vector<MergeInput> inputs;
  // Out of order on purpose: merge sorts by shard index.
  for (int index : {2, 0, 1}) {
    inputs.push_back({.source = absl::StrCat("shard", index),
                      .results = Shard(index, open)});
  }
  return inputs;
}

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
  ASSERT_TRUE(summary.has_saturation_at());
  EXPECT_EQ(summary.saturation_at(), 600);
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

// ------------------------------------------------------------ log blocks

std::string Framed(const pb::Results& results) {
  absl::StatusOr<std::string> framed = FrameResults(results);
  EXPECT_TRUE(framed.ok()) << framed.status();
  return *framed;
}

TEST(FrameResultsTest, ThreeLinesTheMiddleOneIsResultsJson) {
  const pb::Results results = Shard(1);
  const std::string framed = Framed(results);
  const std::vector<std::string> lines =
      absl::StrSplit(framed, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], kResultsBegin);
  EXPECT_EQ(lines[2], kResultsEnd);
  pb::Results back;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(lines[1], &back).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(back, results));
}

TEST(FindResultsBlocksTest, FindsEveryBlockAmongOtherLines) {
  const std::string text = absl::StrCat(
      "waiting 2s for --start_at 2026-11-25T14:00:00Z\n", "[async] step 1/2\n",
      Framed(Shard(0)), "some other line\n", Framed(Shard(1)), "trailing\n");
  absl::StatusOr<std::vector<ResultsBlock>> blocks = FindResultsBlocks(text);
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  ASSERT_EQ(blocks->size(), 2u);
  EXPECT_EQ((*blocks)[0].line, 3);
  EXPECT_EQ((*blocks)[1].line, 7);
  EXPECT_EQ((*blocks)[0].json, *ResultsToJson(Shard(0), true));
  EXPECT_EQ((*blocks)[1].json, *ResultsToJson(Shard(1), true));
  absl::StatusOr<std::vector<ResultsBlock>> none =
      FindResultsBlocks("just a log\nnothing framed\n");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(FindResultsBlocksTest, CrlfTimestampsAndSplitLines) {
  const std::string json = *ResultsToJson(Shard(2), true);
  // A container runtime may split a long line; kubectl --timestamps prefixes
  // each piece with its own time.
  const size_t half = json.size() / 2;
  const std::string text =
      absl::StrCat("2026-11-25T14:00:09.123456789Z ", kResultsBegin, "\r\n",
                   "2026-11-25T14:00:09.123556789Z ", json.substr(0, half),
                   "\r\n", "2026-11-25T14:00:09.1236Z ", json.substr(half),
                   "\r\n", "2026-11-25T14:00:09.2Z ", kResultsEnd, "\r\n");
  absl::StatusOr<std::vector<ResultsBlock>> blocks = FindResultsBlocks(text);
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  ASSERT_EQ(blocks->size(), 1u);
  EXPECT_EQ((*blocks)[0].json, json);
}

TEST(FindResultsBlocksTest, InterleavedPodsAreToldApartByTheirPrefix) {
  // `kubectl logs --prefix -l job-name=loadgen` of two pods, lines interleaved.
  const std::string a = *ResultsToJson(Shard(0), true);
  const std::string b = *ResultsToJson(Shard(1), true);
  const std::string pa = "[pod/loadgen-0-abcde/loadgen] ";
  const std::string pb = "[pod/loadgen-1-fghij/loadgen] ";
  const std::string text = absl::StrCat(
      pa, "progress\n", pa, kResultsBegin, "\n", pb, kResultsBegin, "\n", pb, b,
      "\n", pa, a, "\n", pa, kResultsEnd, "\n", pb, kResultsEnd, "\n");
  absl::StatusOr<std::vector<ResultsBlock>> blocks = FindResultsBlocks(text);
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  ASSERT_EQ(blocks->size(), 2u);
  EXPECT_EQ((*blocks)[0].line, 2);
  EXPECT_EQ((*blocks)[0].json, a);
  EXPECT_EQ((*blocks)[1].json, b);
}

TEST(FindResultsBlocksTest, CutOffBlocksAreErrorsNamingTheLine) {
  const std::string framed = Framed(Shard(0));
  const std::string begin_only = absl::StrCat("x\n", kResultsBegin, "\n{\n");
  absl::StatusOr<std::vector<ResultsBlock>> blocks =
      FindResultsBlocks(begin_only);
  EXPECT_TRUE(absl::IsInvalidArgument(blocks.status()));
  EXPECT_TRUE(absl::StrContains(blocks.status().message(), "line 2"))
      << blocks.status();
  EXPECT_TRUE(absl::StrContains(blocks.status().message(), "never ends"));

  blocks = FindResultsBlocks(absl::StrCat("x\ny\n", kResultsEnd, "\n"));
  EXPECT_TRUE(
      absl::StrContains(blocks.status().message(),
                        "line 3: a results block ends that never began"))
      << blocks.status();

  blocks = FindResultsBlocks(absl::StrCat(kResultsBegin, "\n{\n", framed));
  EXPECT_TRUE(absl::StrContains(blocks.status().message(),
                                "before the one begun at line 1 ended"))
      << blocks.status();
}

// ------------------------------------------------------------ reading inputs

class ReadMergeInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/loadgen-merge-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    std::filesystem::create_directories(
        std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::string dir_;
};

TEST_F(ReadMergeInputTest, DirectoriesFilesAndLogs) {
  Write("run0/results.json", *ResultsToJson(Shard(0)));
  const std::string file = Write("one.json", *ResultsToJson(Shard(1)));
  const std::string log = Write(
      "pods.log", absl::StrCat("noise\n", Framed(Shard(2)), Framed(Shard(0))));

  absl::StatusOr<std::vector<MergeInput>> in = ReadMergeInput(dir_ + "/run0");
  ASSERT_TRUE(in.ok()) << in.status();
  ASSERT_EQ(in->size(), 1u);
  EXPECT_EQ((*in)[0].source, dir_ + "/run0/results.json");
  EXPECT_TRUE(MessageDifferencer::Equals((*in)[0].results, Shard(0)));

  in = ReadMergeInput(file);
  ASSERT_TRUE(in.ok()) << in.status();
  ASSERT_EQ(in->size(), 1u);
  EXPECT_EQ((*in)[0].results.config().shard_index(), 1);

  in = ReadMergeInput(log);
  ASSERT_TRUE(in.ok()) << in.status();
  ASSERT_EQ(in->size(), 2u);
  EXPECT_EQ((*in)[0].source, log + ":2");
  EXPECT_EQ((*in)[0].results.config().shard_index(), 2);
  EXPECT_EQ((*in)[1].source, log + ":5");
  EXPECT_TRUE(MessageDifferencer::Equals((*in)[1].results, Shard(0)));
}

TEST_F(ReadMergeInputTest, MissingAndUnreadableInputsNameThePath) {
  absl::StatusOr<std::vector<MergeInput>> in =
      ReadMergeInput(dir_ + "/nothing");
  EXPECT_TRUE(absl::IsNotFound(in.status())) << in.status();
  EXPECT_TRUE(absl::StrContains(in.status().message(), dir_ + "/nothing"));

  in = ReadMergeInput(dir_);  // A directory without results.json.
  EXPECT_TRUE(absl::IsNotFound(in.status())) << in.status();

  in = ReadMergeInput(Write("junk.txt", "not json at all\n"));
  EXPECT_TRUE(absl::IsInvalidArgument(in.status())) << in.status();
  EXPECT_TRUE(absl::StrContains(in.status().message(), "junk.txt"));

  in = ReadMergeInput(Write(
      "bad.log",
      absl::StrCat(kResultsBegin, "\n{\"nope\":1}\n", kResultsEnd, "\n")));
  EXPECT_TRUE(absl::IsInvalidArgument(in.status())) << in.status();
  EXPECT_TRUE(absl::StrContains(in.status().message(), "bad.log:1"))
      << in.status();

  in = ReadMergeInput(Write("cut.log", absl::StrCat(kResultsBegin, "\n{")));
  EXPECT_TRUE(absl::IsInvalidArgument(in.status())) << in.status();
  EXPECT_TRUE(absl::StrContains(in.status().message(), "cut.log: line 1"))
      << in.status();
}

TEST_F(ReadMergeInputTest, MergingALogEqualsMergingTheFiles) {
  std::vector<MergeInput> from_files;
  std::string log;
  for (int index = 0; index < kShards; ++index) {
    absl::StatusOr<std::vector<MergeInput>> in = ReadMergeInput(
        Write(absl::StrCat("s", index, ".json"), *ResultsToJson(Shard(index))));
    ASSERT_TRUE(in.ok()) << in.status();
    from_files.push_back((*in)[0]);
    absl::StrAppend(&log, "[pod/", index, "] progress\n", Framed(Shard(index)));
  }
  absl::StatusOr<std::vector<MergeInput>> from_log =
      ReadMergeInput(Write("all.log", log));
  ASSERT_TRUE(from_log.ok()) << from_log.status();
  absl::StatusOr<pb::Results> a = MergeShards(from_files, "m");
  absl::StatusOr<pb::Results> b = MergeShards(*from_log, "m");
  ASSERT_TRUE(a.ok() && b.ok());
  a->clear_shards();
  b->clear_shards();
  EXPECT_TRUE(MessageDifferencer::Equals(*a, *b));
}

}  // namespace
}  // namespace asyncgrpc::loadgen
