// What results.json says about a step and a target, computed from what was
// recorded: percentiles from a step's histogram, and the target's Summary
// (slowdown knee, error onset, saturation) from its steps. Shared by a run
// (runner.cc) and `loadgen merge` (merge.cc), so a merged run is summarised
// exactly as a single one.
//
//   SetStepLatency(histogram, &step);               // p50_ms ... max_ms
//   Summarize(rules, /*open_loop=*/true, &target);  // target.summary
#pragma once

#include <cstdint>
#include <string>

#include "loadgen/core/detection.h"
#include "loadgen/core/histogram.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

inline double Ms(int64_t micros) {
  return static_cast<double>(micros) / 1000.0;
}

// p50 ... p99.9, max and mean of `h` into `out`.
void FillLatency(const Histogram& h, ::loadgen::v1::Latency* out);

// Sets the step's p50_ms ... max_ms from `h`.
void SetStepLatency(const Histogram& h, ::loadgen::v1::Step* step);

// The step as the detector sees it; the load is `rate` (open loop) or `users`.
StepPoint PointOf(const ::loadgen::v1::Step& step, bool open_loop);

// The rules a run's Config states.
DetectionRules RulesOf(const ::loadgen::v1::Config& config);

// Fills the step's cpu_per_call_us and context_switches_per_call from its
// processes (per successful call; none without one). The target's server,
// when no --cpu_pid measured it, is taken from its metrics endpoint's
// process_cpu_cores, if any.
void SetPerCall(const std::string& target, ::loadgen::v1::Step* step);

// Runs SetPerCall on every step and capacity probe, then Detect() over the
// target's steps, and writes its Summary (replacing any; its capacity is the
// search's met_at, its spread is left to the caller).
void Summarize(const DetectionRules& rules, bool open_loop,
               ::loadgen::v1::TargetResult* target);

}  // namespace asyncgrpc::loadgen
