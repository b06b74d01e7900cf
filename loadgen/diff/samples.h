// The per-second samples of one step's measured window, taken from its
// target's timeline: what `loadgen diff` tests a step's change on. A timeline
// point covers the calls that completed in [t_s, t_s + 1) from the target's
// start and carries the step that was running at its last call (runner's
// target_run.cc); the measured window is [start_s + warmup_s, start_s +
// warmup_s + duration_s] (Step.duration_s is the measured part). A second
// counts when it carries the step's index and lies wholly inside the window,
// give or take kWindowSlack: the window opens a few milliseconds after the
// second it starts in, and a whole second should not be lost to that.
//
//   const StepSamples s = SamplesOf(results.config(), target, target.steps(3));
//   // s.seconds: how many; s.rps[i], s.p99_ms[j]: one second's figures.
#pragma once

#include <vector>

#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

inline constexpr double kWindowSlack = 0.1;

struct StepSamples {
  // The seconds of the window (each gives an rps sample, 0 included).
  int seconds = 0;
  std::vector<double> rps;
  // Latency samples come only from seconds in which calls completed (and, in
  // a merged run, whose percentiles could be recomputed): a second without
  // them has no percentile.
  std::vector<double> p50_ms;
  std::vector<double> p95_ms;
  std::vector<double> p99_ms;
};

StepSamples SamplesOf(const ::loadgen::v1::Config& config,
                      const ::loadgen::v1::TargetResult& target,
                      const ::loadgen::v1::Step& step);

}  // namespace asyncgrpc::loadgen
