#include "loadgen/core/detection.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace asyncgrpc::loadgen {
namespace {

// Baseline: the lowest p95 among this many of the first steps that count, so
// one slow step at the start (a cold cache, a busy core) does not set it.
constexpr int kBaselineSteps = 3;
// Slowdown onset needs this many slow steps in a row, so one noisy step does
// not trip it.
constexpr int kSlowRun = 2;
// Saturation: throughput grew by less than this share of the load's growth.
constexpr double kFollowShare = 0.25;

// Whether a rule may look at this step at all.
bool Counts(const StepPoint& step) { return step.valid && step.requests > 0; }

// The indices of the steps that count, in ramp order.
std::vector<int> Counting(const std::vector<StepPoint>& steps) {
  std::vector<int> out;
  for (int i = 0; i < static_cast<int>(steps.size()); ++i) {
    if (Counts(steps[i])) {
      out.push_back(i);
    }
  }
  return out;
}

// The baseline step: the lowest p95 of the first kBaselineSteps that count.
int BaselineStep(const std::vector<StepPoint>& steps,
                 const std::vector<int>& counting) {
  int best = counting.front();
  const int n = std::min<int>(kBaselineSteps, counting.size());
  for (int j = 1; j < n; ++j) {
    if (steps[counting[j]].p95_ms < steps[best].p95_ms) {
      best = counting[j];
    }
  }
  return best;
}

std::optional<int> SlowdownStep(const std::vector<StepPoint>& steps,
                                const std::vector<int>& counting,
                                double threshold_ms) {
  int run = 0;
  for (int j = 0; j < static_cast<int>(counting.size()); ++j) {
    run = steps[counting[j]].p95_ms > threshold_ms ? run + 1 : 0;
    if (run == kSlowRun) {
      return counting[j - kSlowRun + 1];
    }
  }
  return std::nullopt;
}

// The rate the step's load would bring if latency stayed at its baseline:
// the planned rate (open loop), or users / (think time + baseline p50).
double ExpectedRate(const StepPoint& step, const DetectionRules& rules,
                    double baseline_p50_ms) {
  const double iteration_s = rules.think_time_s + baseline_p50_ms / 1000.0;
  if (!rules.closed_loop || iteration_s <= 0) {
    return step.load;
  }
  return step.load / iteration_s;
}

std::optional<int> SaturationStep(const std::vector<StepPoint>& steps,
                                  const std::vector<int>& counting,
                                  const DetectionRules& rules,
                                  double baseline_p50_ms) {
  for (int j = 1; j < static_cast<int>(counting.size()); ++j) {
    const StepPoint& before = steps[counting[j - 1]];
    const StepPoint& step = steps[counting[j]];
    const double load_before = ExpectedRate(before, rules, baseline_p50_ms);
    const double load = ExpectedRate(step, rules, baseline_p50_ms);
    if (before.rps <= 0 || load_before <= 0 || load <= load_before) {
      continue;
    }
    const double rps_growth = (step.rps - before.rps) / before.rps;
    const double load_growth = (load - load_before) / load_before;
    if (rps_growth < kFollowShare * load_growth) {
      return counting[j];
    }
  }
  return std::nullopt;
}

}  // namespace

Detection Detect(const std::vector<StepPoint>& steps,
                 const DetectionRules& rules) {
  Detection d;
  const std::vector<int> counting = Counting(steps);
  if (counting.empty()) {
    return d;
  }
  const StepPoint& baseline = steps[BaselineStep(steps, counting)];
  d.baseline_p95_ms = baseline.p95_ms;
  d.slowdown_threshold_ms = std::max(rules.slowdown_factor * baseline.p95_ms,
                                     baseline.p95_ms + rules.slowdown_floor_ms);
  d.slowdown_step = SlowdownStep(steps, counting, d.slowdown_threshold_ms);
  d.saturation_step = SaturationStep(steps, counting, rules, baseline.p50_ms);
  for (const int i : counting) {
    if (!d.errors_step && steps[i].error_ratio > rules.error_threshold) {
      d.errors_step = i;
    }
    d.max_rps = std::max(d.max_rps, steps[i].rps);
  }
  return d;
}

std::vector<std::string> DescribeRules(const DetectionRules& rules,
                                       bool open_loop) {
  return {
      open_loop ? "Load is the offered arrival rate in calls/s (open loop)."
                : "Load is the number of concurrent virtual users (closed "
                  "loop).",
      "Steps where loadgen itself was the bottleneck (marked invalid) and "
      "steps with no requests are skipped by every rule below.",
      "Baseline: the lowest p95 latency of the first three remaining steps.",
      absl::StrFormat(
          "Slowdown onset: the first step of the first run of at least two "
          "steps in a row whose p95 latency exceeds %g× the baseline p95 or "
          "the baseline plus %g ms, whichever is higher.",
          rules.slowdown_factor, rules.slowdown_floor_ms),
      absl::StrFormat("Error onset: the first step whose error ratio "
                      "(failed / requests) exceeds %g%%.",
                      rules.error_threshold * 100),
      absl::StrCat(
          "Saturation: the first step where throughput stops following the "
          "load: its rps grew over the step before by less than a quarter of "
          "the growth of ",
          open_loop ? "the planned rate."
                    : absl::StrFormat(
                          "the rate the users would offer at the baseline "
                          "latency, users / (think time %g s + the baseline "
                          "step's p50).",
                          rules.think_time_s)),
      "Peak throughput: the highest rps of any step, a figure of its own.",
  };
}

bool ShouldStop(const std::vector<StepPoint>& steps_so_far,
                const DetectionRules& rules, int stop_after_error_steps) {
  if (stop_after_error_steps < 0) {
    return false;
  }
  const Detection d = Detect(steps_so_far, rules);
  if (!d.errors_step) {
    return false;
  }
  const int last = static_cast<int>(steps_so_far.size()) - 1;
  return last - *d.errors_step >= stop_after_error_steps;
}

}  // namespace asyncgrpc::loadgen
