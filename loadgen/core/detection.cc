#include "loadgen/core/detection.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace asyncgrpc::loadgen {
namespace {

// Whether a rule may look at this step at all.
bool Counts(const StepPoint& step) { return step.valid && step.requests > 0; }

}  // namespace

Detection Detect(const std::vector<StepPoint>& steps,
                 const DetectionRules& rules) {
  Detection d;
  bool have_baseline = false;
  for (int i = 0; i < static_cast<int>(steps.size()); ++i) {
    const StepPoint& step = steps[i];
    if (!Counts(step)) {
      continue;
    }
    if (!have_baseline) {
      have_baseline = true;
      d.baseline_p95_ms = step.p95_ms;
    }
    if (!d.slowdown_step &&
        step.p95_ms > rules.slowdown_factor * d.baseline_p95_ms) {
      d.slowdown_step = i;
    }
    if (!d.errors_step && step.error_ratio > rules.error_threshold) {
      d.errors_step = i;
    }
    if (!d.saturation_step || step.rps > d.max_rps) {
      d.saturation_step = i;
      d.max_rps = step.rps;
    }
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
      "Baseline: the p95 latency of the first remaining step.",
      absl::StrFormat("Slowdown onset: the first step whose p95 latency "
                      "exceeds %g× the baseline p95.",
                      rules.slowdown_factor),
      absl::StrFormat("Error onset: the first step whose error ratio "
                      "(failed / requests) exceeds %g%%.",
                      rules.error_threshold * 100),
      "Saturation: the step with the peak throughput (rps); on a tie, the "
      "earliest such step.",
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
