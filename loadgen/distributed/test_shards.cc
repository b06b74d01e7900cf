#include "loadgen/distributed/test_shards.h"

#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "loadgen/core/config.h"
#include "loadgen/core/shard.h"
#include "loadgen/core/summary.h"

namespace asyncgrpc::loadgen::test_shards {

namespace pb = ::loadgen::v1;

namespace {

// Shard `shard_index` of `shard_count`'s config: the same for every shard
// but for its index and command.
pb::Config RunConfig(int shard_index, int shard_count, bool open) {
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

}  // namespace

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

pb::Results Shard(int index, bool open) {
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

std::vector<MergeInput> Shards(bool open) {
  std::vector<MergeInput> inputs;
  // Out of order on purpose: merge sorts by shard index.
  for (int index : {2, 0, 1}) {
    inputs.push_back({.source = absl::StrCat("shard", index),
                      .results = Shard(index, open)});
  }
  return inputs;
}

}  // namespace asyncgrpc::loadgen::test_shards
