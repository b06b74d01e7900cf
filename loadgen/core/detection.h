// The study's thresholds, found in a target's ramp by stated rules: the
// baseline p95, where latency slows down, where errors start, where throughput
// stops following the load, and its peak. DescribeRules() words the same rules
// for the report, so what results.json and report.html claim is exactly what
// Detect() does.
//
//   std::vector<StepPoint> steps = ...;  // one per ramp step
//   Detection d = Detect(steps, DetectionRules{.slowdown_factor = 2.0});
//   if (d.slowdown_step) { ... steps[*d.slowdown_step].load ... }
//   for (const std::string& line : DescribeRules(rules, /*open_loop=*/true)) {
//     results.add_rules(line);
//   }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace asyncgrpc::loadgen {

// One ramp step as the detector sees it.
struct StepPoint {
  double load = 0;  // Users (closed loop) or calls/s (open loop).
  double p50_ms = 0;
  double p95_ms = 0;
  double rps = 0;
  double error_ratio = 0;  // Failed / requests, 0..1.
  int64_t requests = 0;
  bool valid = true;  // False: loadgen, not the target, was the bottleneck.
};

struct DetectionRules {
  // Slowdown: p95 above max(factor × baseline, baseline + floor).
  double slowdown_factor = 2.0;
  double slowdown_floor_ms = 10;
  double error_threshold = 0.01;
  // Closed loop: load is users, and the rate they would offer comes from
  // their think time.
  bool closed_loop = false;
  double think_time_s = 0;
};

// What Detect() found; the step fields index into its input.
struct Detection {
  std::optional<int> slowdown_step;
  std::optional<int> errors_step;
  std::optional<int> saturation_step;
  double baseline_p95_ms = 0;
  // The p95 a step must exceed to count as slow.
  double slowdown_threshold_ms = 0;
  double max_rps = 0;
};

// Applies the rules (see DescribeRules) to a target's steps in ramp order.
// Steps that are invalid or have no requests are skipped by every rule; with
// no step left, nothing is detected and the numbers are 0.
Detection Detect(const std::vector<StepPoint>& steps,
                 const DetectionRules& rules);

// The rules in words, one sentence per entry, for results.json and the report.
std::vector<std::string> DescribeRules(const DetectionRules& rules,
                                       bool open_loop);

// Whether a ramp should stop after the steps run so far: true once the error
// onset happened at least `stop_after_error_steps` steps ago (counting every
// step, skipped ones included). 0 stops right at the error-onset step; a
// negative value never stops.
bool ShouldStop(const std::vector<StepPoint>& steps_so_far,
                const DetectionRules& rules, int stop_after_error_steps);

}  // namespace asyncgrpc::loadgen
