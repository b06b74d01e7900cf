// The capacity search of --slo: the highest load that met the SLO. After the
// ramp, bisection between the last step that met it and the first that missed
// it, each probe a full step, until the bracket is within the precision of the
// load. Pure logic: the caller runs the probes (`measure`), so tests inject a
// service of known capacity.
//
//   std::vector<Judgement> ramp = ...;  // one per ramp step, in load order
//   CapacityResult found = FindCapacity(ramp, {.precision = 0.05},
//                                       [&](double load) { return Probe(load); });
//   if (found.status == CapacityStatus::kWithinPrecision) ... found.met_at ...
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"

namespace asyncgrpc::loadgen {

// A step or probe as the search sees it.
struct Judgement {
  double load = 0;
  // False: loadgen, not the target, was the bottleneck; nothing can be judged.
  bool valid = true;
  bool met = false;
};

enum class CapacityStatus {
  kWithinPrecision,  // Met at met_at, missed at missed_at, close enough.
  kAtLeastRampEnd,   // No step missed: the capacity is at least met_at.
  kBelowRampStart,   // The first judged step missed: below missed_at.
  kUndecided,        // An invalid probe, or no valid step at all.
};

struct CapacityOptions {
  // The search stops once missed_at - met_at <= precision * met_at.
  double precision = 0.05;
  // Closed loop: users are whole numbers.
  bool whole_loads = false;
};

struct CapacityResult {
  CapacityStatus status = CapacityStatus::kUndecided;
  std::optional<double> met_at;
  std::optional<double> missed_at;
  // The probes' judgements, in the order they ran.
  std::vector<Judgement> probes;
};

// Judges the ramp (steps in load order; invalid ones skipped): the first step
// that missed and the highest that met before it bracket the capacity; then
// bisects with `measure` until within the precision. A later step that met
// the SLO again after a miss does not count: the first miss bounds it.
CapacityResult FindCapacity(const std::vector<Judgement>& ramp,
                            const CapacityOptions& options,
                            absl::FunctionRef<Judgement(double)> measure);

// "within_precision", "at_least_ramp_end", "below_ramp_start", "undecided"
// (results.proto's Capacity.status).
std::string CapacityStatusName(CapacityStatus status);

// The finding in one sentence, loads in `unit` ("users", "calls/s").
std::string DescribeCapacity(const CapacityResult& result,
                             const std::string& unit, double precision);

}  // namespace asyncgrpc::loadgen
