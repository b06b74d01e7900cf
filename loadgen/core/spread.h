// --repeat: what N whole runs of each target say together. The spread of each
// detected point (median, min, max over the runs that detected it), and for
// each pair of targets whether a point differs: only where their ranges over
// at least three runs do not overlap.
//
//   target.mutable_summary()->mutable_spread()->CopyFrom(
//       SpreadOf(target.repeats()));
//   ComparePoints(results);  // fills results.comparisons
#pragma once

#include <vector>

#include "google/protobuf/repeated_ptr_field.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

// Fewer runs than this and no claim of a difference is made.
inline constexpr int kRunsToCompare = 3;

// The median, minimum and maximum of `values`; `detected` is their count.
::loadgen::v1::SpreadPoint SpreadOfValues(const std::vector<double>& values);

// Each of the summary's points (slowdown_at, errors_at, saturation_at,
// max_rps, capacity) over `runs`.
::loadgen::v1::Spread SpreadOf(
    const google::protobuf::RepeatedPtrField<::loadgen::v1::TargetResult>&
        runs);

// For every pair of targets (in the order given) and every point either
// detected in some run: "differ", "same within spread" or "no claim", from the
// targets' summary.spread. Replaces results.comparisons.
void ComparePoints(::loadgen::v1::Results& results);

}  // namespace asyncgrpc::loadgen
