// `loadgen diff A B`: two runs of the same configuration compared target by
// target (matched by name) and step by step (matched by index). For each
// step: rps and p50/p95/p99 in A and B and the relative change of the step's
// figure, B vs A, marked significant when a two-sided Mann-Whitney U test
// (mann_whitney.h, alpha kAlpha) on the step's per-second samples (samples.h)
// rejects "same distribution" and the shift it finds points the same way as
// the change. Steps with fewer than kMinSamples seconds on either side are too
// short to test, never significant. format.h prints a DiffReport;
// diff_command.h reads the two runs and turns it into an exit code.
//
//   ASSIGN_OR_RETURN(DiffReport report, DiffResults(before, after));
//   std::cout << FormatDiff(report);
//   if (Regressed(report, 10)) { ... B significantly worse by over 10% ... }
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

inline constexpr double kAlpha = 0.05;
inline constexpr int kMinSamples = 3;

enum class Metric { kRps, kP50, kP95, kP99 };
inline constexpr std::array<Metric, 4> kMetrics = {Metric::kRps, Metric::kP50,
                                                   Metric::kP95, Metric::kP99};
// "rps", "p50", "p95", "p99".
absl::string_view MetricName(Metric metric);

// Which way B went, where significantly: worse is lower rps or higher
// latency.
enum class Change { kNone, kWorse, kBetter };

struct MetricDiff {
  // The step's figures (Step.rps, Step.p50_ms, ...).
  double a = 0;
  double b = 0;
  // (b - a) / a in percent; none when only a is 0.
  std::optional<double> change_pct;
  // False: fewer than kMinSamples per-second samples on a side.
  bool tested = false;
  double p_value = 1;
  Change change = Change::kNone;
};

struct StepDiff {
  int index = 0;
  // Users (closed loop) or calls/s (open loop).
  double load = 0;
  // Seconds of the measured window found in each timeline.
  int seconds_a = 0;
  int seconds_b = 0;
  std::array<MetricDiff, kMetrics.size()> metrics;  // Indexed by Metric.
};

struct TargetDiff {
  std::string name;
  // The steps both runs ran; a run that ended early ran fewer.
  std::vector<StepDiff> steps;
  int steps_a = 0;
  int steps_b = 0;
};

struct DiffReport {
  // "users" or "rate".
  std::string load_name;
  std::vector<TargetDiff> targets;  // In A's order.
};

// INVALID_ARGUMENT (one line) when A and B are not runs of one configuration
// (same_config.h). Pure: reads nothing but its arguments.
absl::StatusOr<DiffReport> DiffResults(const ::loadgen::v1::Results& a,
                                       const ::loadgen::v1::Results& b);

// The change in percent, signed so that above 0 is worse for B (a drop of
// rps, a rise of latency); a change from 0 is infinite.
double WorseningPct(Metric metric, const MetricDiff& diff);

// True when B is significantly worse by more than `pct` percent in any
// metric at any step of any target.
bool Regressed(const DiffReport& report, double pct);

}  // namespace asyncgrpc::loadgen
