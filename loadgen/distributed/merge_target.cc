#include "loadgen/distributed/merge_target.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/base/status_macros.h"
#include "loadgen/core/histogram.h"
#include "loadgen/core/notation.h"
#include "loadgen/core/summary.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

using Shards = std::vector<const MergeInput*>;

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

absl::StatusOr<Histogram> HistogramOf(const pb::Histogram& proto,
                                      absl::string_view where) {
  absl::StatusOr<Histogram> h = Histogram::FromProto(proto);
  if (!h.ok()) {
    return Invalid(absl::StrCat("merge: ", where, ": ", h.status().message()));
  }
  return h;
}

// The merged load of step `index`: the whole run's ramp level, which the
// shards' shares must add up to.
absl::StatusOr<double> MergedLoad(const pb::Config& config, int index,
                                  double sum, absl::string_view where) {
  const Ramp ramp{.start = config.ramp_start(),
                  .end = config.ramp_end(),
                  .step = config.ramp_step()};
  const std::vector<double> levels = ramp.Levels();
  if (index < 0 || index >= static_cast<int>(levels.size())) {
    return Invalid(absl::StrCat("merge: ", where, ": step index ", index,
                                " is not in the ramp"));
  }
  const double level = levels[index];
  if (std::abs(sum - level) > 1e-6 * std::max(1.0, level)) {
    return Invalid(absl::StrCat("merge: ", where,
                                ": the shards' loads add up to ", sum,
                                ", not the ramp's ", level));
  }
  return level;
}

// ------------------------------------------------------------------ steps

// How many steps to merge: those every shard ran (a merged step must hold
// every shard's share of the load; a shard that stopped early ran fewer).
// Notes each shard's own note on the target, and different step counts.
int StepsAllRan(const Shards& shards, int t, std::vector<std::string>* notes) {
  std::vector<int> counts;
  for (const MergeInput* shard : shards) {
    const pb::TargetResult& target = shard->results.targets(t);
    counts.push_back(target.steps_size());
    if (!target.note().empty()) {
      notes->push_back(absl::StrCat("shard ",
                                    shard->results.config().shard_index(), ": ",
                                    target.note()));
    }
  }
  const int steps = *std::min_element(counts.begin(), counts.end());
  if (std::adjacent_find(counts.begin(), counts.end(), std::not_equal_to<>()) !=
      counts.end()) {
    notes->push_back(absl::StrCat(
        "the shards ran different numbers of steps (by shard index: ",
        absl::StrJoin(counts, ", "), "): merged the first ", steps,
        ", which all of them ran"));
  }
  return steps;
}

// One step as the shards' steps add up so far.
struct StepSum {
  pb::Step step;  // Index, start, and the counts and rates summed.
  Histogram latency;
  Histogram uncorrected;
  bool have_uncorrected = false;  // Open loop, while every shard had one.
  double load = 0;  // The shards' rates (open loop) or users (closed).
  double duration = 0;
  std::map<std::string, int64_t> errors;
  std::vector<std::string> invalid;  // "shard i: why", one per invalid step.
  const pb::Step* metrics_from = nullptr;
};

// Shard step `s`'s latency into `sum`: its histogram, which must hold its
// requests, and its uncorrected one while every shard has one holding them.
absl::Status AddLatency(const pb::Step& s, absl::string_view where,
                        StepSum* sum) {
  ASSIGN_OR_RETURN(const Histogram h, HistogramOf(s.histogram(), where));
  if (h.count() != s.requests()) {
    return Invalid(absl::StrCat("merge: ", where, ": its histogram holds ",
                                h.count(), " requests, the step ",
                                s.requests()));
  }
  sum->latency.Merge(h);
  if (sum->have_uncorrected && s.has_uncorrected_histogram() &&
      s.uncorrected_histogram().total() == s.requests()) {
    ASSIGN_OR_RETURN(const Histogram u,
                     HistogramOf(s.uncorrected_histogram(), where));
    sum->uncorrected.Merge(u);
  } else {
    sum->have_uncorrected = false;
  }
  return absl::OkStatus();
}

// Shard step `s`'s load, counts, rates, CPU and errors into `sum`, and the
// reason it is invalid if it is.
void AddCounts(const MergeInput& shard, const pb::Step& s, bool open,
               bool first, StepSum* sum) {
  pb::Step& step = sum->step;
  sum->load += open ? s.rate() : s.users();
  sum->duration += s.duration_s();
  step.set_start_s(first ? s.start_s() : std::min(step.start_s(), s.start_s()));
  step.set_requests(step.requests() + s.requests());
  step.set_ok(step.ok() + s.ok());
  step.set_rps(step.rps() + s.rps());
  step.set_achieved_rate(step.achieved_rate() + s.achieved_rate());
  step.set_loadgen_cpu_cores(step.loadgen_cpu_cores() + s.loadgen_cpu_cores());
  for (const auto& [code, count] : s.errors()) {
    sum->errors[code] += count;
  }
  if (!s.valid()) {
    sum->invalid.push_back(absl::StrCat("shard ",
                                        shard.results.config().shard_index(),
                                        ": ", s.invalid_reason()));
  }
}

// Shard step `s`'s CPU by process into `step`: loadgen's summed over the
// shards (each is a process of its own); a server's and the database's taken
// from the first shard that measured them (every shard sees the same
// processes), never a sum.
void AddProcesses(const pb::Step& s, pb::Step& step) {
  auto& merged = *step.mutable_processes();
  for (const auto& [name, use] : s.processes()) {
    const auto found = merged.find(name);
    if (found == merged.end()) {
      merged[name] = use;
    } else if (name == kLoadgenProcessName) {
      pb::ProcessUse& sum = found->second;
      sum.set_cpu_s(sum.cpu_s() + use.cpu_s());
      if (sum.has_context_switches() && use.has_context_switches()) {
        sum.set_context_switches(sum.context_switches() +
                                 use.context_switches());
      } else {
        sum.clear_context_switches();
      }
      sum.set_pid(0);  // Several processes.
    }
  }
}

// Whether the step read the servers' metrics and every scrape succeeded.
bool ReadAllServerMetrics(const pb::Step& s) {
  return s.server_metrics_size() > 0 &&
         std::all_of(
             s.server_metrics().begin(), s.server_metrics().end(),
             [](const pb::ServerMetrics& m) { return m.error().empty(); });
}

// The servers' own counters are the same whichever shard read them: take one
// shard's reading (the first that read them all), never a sum.
void PickServerMetrics(const pb::Step& s, StepSum* sum) {
  if (sum->metrics_from == nullptr ||
      (!ReadAllServerMetrics(*sum->metrics_from) && ReadAllServerMetrics(s))) {
    if (s.server_metrics_size() > 0) {
      sum->metrics_from = &s;
    }
  }
}

// Step `k` of target `t` summed over the shards, which must all have the same
// step at that position.
absl::StatusOr<StepSum> SumStep(const Shards& shards, int t, int k, bool open,
                                absl::string_view name) {
  StepSum sum;
  sum.have_uncorrected = open;
  const pb::Step& s0 = shards[0]->results.targets(t).steps(k);
  sum.step.set_index(s0.index());
  for (const MergeInput* shard : shards) {
    const pb::Step& s = shard->results.targets(t).steps(k);
    const std::string where =
        absl::StrCat(shard->source, ": target ", name, " step ", s.index());
    if (s.index() != s0.index()) {
      return Invalid(absl::StrCat("merge: ", where, ": expected step ",
                                  s0.index(), " at position ", k));
    }
    RETURN_IF_ERROR(AddLatency(s, where, &sum));
    AddCounts(*shard, s, open, shard == shards[0], &sum);
    AddProcesses(s, sum.step);
    PickServerMetrics(s, &sum);
  }
  return sum;
}

// The merged step from its sum: the ramp's load, the shards' mean duration,
// the error ratio, and the percentiles recomputed from the merged histograms.
absl::StatusOr<pb::Step> FinishStep(const pb::Config& config, bool open,
                                    int shard_count, absl::string_view name,
                                    StepSum sum) {
  pb::Step& step = sum.step;
  const std::string where =
      absl::StrCat("target ", name, " step ", step.index());
  ASSIGN_OR_RETURN(const double level,
                   MergedLoad(config, step.index(), sum.load, where));
  if (open) {
    step.set_rate(level);
  } else {
    step.set_users(static_cast<int32_t>(std::lround(level)));
  }
  step.set_duration_s(sum.duration / static_cast<double>(shard_count));
  int64_t failed = 0;
  for (const auto& [code, count] : sum.errors) {
    (*step.mutable_errors())[code] = count;
    failed += count;
  }
  step.set_error_ratio(step.requests() > 0
                           ? static_cast<double>(failed) / step.requests()
                           : 0.0);
  SetStepLatency(sum.latency, &step);
  sum.latency.ToProto(step.mutable_histogram());
  if (sum.have_uncorrected) {
    FillLatency(sum.uncorrected, step.mutable_uncorrected());
    sum.uncorrected.ToProto(step.mutable_uncorrected_histogram());
  }
  step.set_valid(sum.invalid.empty());
  step.set_invalid_reason(absl::StrJoin(sum.invalid, "; "));
  if (sum.metrics_from != nullptr) {
    *step.mutable_server_metrics() = sum.metrics_from->server_metrics();
  }
  return std::move(step);
}

// The first `steps` steps of target `t` merged into `out`.
absl::Status MergeSteps(const pb::Config& config, const Shards& shards, int t,
                        int steps, pb::TargetResult* out,
                        std::vector<std::string>* notes) {
  const bool open = config.mode() == "open";
  bool uncorrected_missing = false;
  for (int k = 0; k < steps; ++k) {
    ASSIGN_OR_RETURN(StepSum sum, SumStep(shards, t, k, open, out->name()));
    uncorrected_missing |= open && !sum.have_uncorrected;
    ASSIGN_OR_RETURN(pb::Step step,
                     FinishStep(config, open, static_cast<int>(shards.size()),
                                out->name(), std::move(sum)));
    *out->add_steps() = std::move(step);
  }
  if (uncorrected_missing) {
    notes->push_back(
        "uncorrected latency not merged where a shard recorded no "
        "uncorrected histogram");
  }
  return absl::OkStatus();
}

// -------------------------------------------------------------- timelines

// One second of the merged timeline: the shards' points at it, summed.
struct Second {
  int step = 0;
  bool have_step = false;
  double rps = 0;
  double failures = 0;
  Histogram latency;
  bool exact = true;  // Every point with requests had a histogram of them.
  // The only point of the second, when a single shard had one: its own
  // percentiles are then exact as they stand.
  const pb::TimelinePoint* sole = nullptr;
  int points = 0;
};

using Seconds = std::map<int64_t, Second>;  // By seconds from the start.

// The shards' timelines of target `t`, summed second by second from the
// target's start.
absl::StatusOr<Seconds> SumTimelines(const Shards& shards, int t,
                                     absl::string_view name) {
  Seconds seconds;
  for (const MergeInput* shard : shards) {
    for (const pb::TimelinePoint& p : shard->results.targets(t).timeline()) {
      Second& second = seconds[std::llround(p.t_s())];
      if (!second.have_step) {
        second.step = p.step();
        second.have_step = true;
      }
      second.rps += p.rps();
      second.failures += p.failures_per_s();
      second.sole = ++second.points == 1 ? &p : nullptr;
      if (p.has_histogram() && p.histogram().total() == std::llround(p.rps())) {
        ASSIGN_OR_RETURN(const Histogram h,
                         HistogramOf(p.histogram(),
                                     absl::StrCat(shard->source, ": target ",
                                                  name, " second ", p.t_s())));
        second.latency.Merge(h);
      } else if (p.rps() > 0) {
        second.exact = false;
      }
    }
  }
  return seconds;
}

// The summed seconds as `out`'s timeline. Returns how many seconds were left
// without percentiles because they could not be merged exactly.
int WriteTimeline(const Seconds& seconds, pb::TargetResult* out) {
  int inexact = 0;
  for (const auto& [t_s, second] : seconds) {
    pb::TimelinePoint* p = out->add_timeline();
    p->set_t_s(static_cast<double>(t_s));
    p->set_step(second.step);
    p->set_rps(second.rps);
    p->set_failures_per_s(second.failures);
    if (second.sole != nullptr) {
      p->set_p50_ms(second.sole->p50_ms());
      p->set_p95_ms(second.sole->p95_ms());
      p->set_p99_ms(second.sole->p99_ms());
    } else if (second.exact) {
      p->set_p50_ms(Ms(second.latency.ValueAtPercentile(50)));
      p->set_p95_ms(Ms(second.latency.ValueAtPercentile(95)));
      p->set_p99_ms(Ms(second.latency.ValueAtPercentile(99)));
    } else {
      ++inexact;
    }
  }
  return inexact;
}

// The shards' timelines of target `t` merged into `out`.
absl::Status MergeTimelines(const Shards& shards, int t, pb::TargetResult* out,
                            std::vector<std::string>* notes) {
  ASSIGN_OR_RETURN(const Seconds seconds, SumTimelines(shards, t, out->name()));
  const int inexact = WriteTimeline(seconds, out);
  if (inexact > 0) {
    notes->push_back(absl::StrCat(
        "per-second latency left out for ", inexact,
        " s of the timeline: a shard recorded no per-second histogram there "
        "(percentiles cannot be merged without one); throughput over time is "
        "exact"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MergedTarget> MergeTarget(const pb::Config& config,
                                         const Shards& shards, int t) {
  MergedTarget merged;
  pb::TargetResult& out = merged.result;
  const pb::TargetResult& first = shards[0]->results.targets(t);
  out.set_name(first.name());
  out.set_address(first.address());
  const int steps = StepsAllRan(shards, t, &merged.notes);
  RETURN_IF_ERROR(MergeSteps(config, shards, t, steps, &out, &merged.notes));
  RETURN_IF_ERROR(MergeTimelines(shards, t, &out, &merged.notes));
  if (config.start_at().empty() && shards.size() > 1) {
    merged.notes.push_back(
        "the shards had no common --start_at: their timelines are aligned on "
        "each shard's own start");
  }
  Summarize(RulesOf(config), config.mode() == "open", &out);
  return merged;
}

}  // namespace asyncgrpc::loadgen
