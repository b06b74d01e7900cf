// A sweep's results: one knob over several values, each value a two-target
// run of its own (baseline first, challenger second), reduced to the figures
// per value and arm, the crossover where the challenger starts to pay, and
// the sweep's verdict in words. Pure: the runs are read by the caller.
//
//   std::vector<SweepInput> inputs = ...;  // value, directory, results
//   absl::StatusOr<pb::Results> sweep =
//       BuildSweep("upstream_delay", std::move(inputs), description);
//   // sweep->sweep(): points, crossover; sweep->verdict(): the answer
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

struct SweepInput {
  // As given ("20ms"), and where its run lives (relative to the sweep's).
  std::string value;
  std::string directory;
  ::loadgen::v1::Results results;
};

// INVALID_ARGUMENT naming the value when a run does not have exactly two
// targets, its targets or load unit differ from the first value's, a value
// does not parse (value.h), units are mixed, or a value repeats.
absl::StatusOr<::loadgen::v1::Results> BuildSweep(
    const std::string& name, std::vector<SweepInput> inputs,
    const std::string& description);

}  // namespace asyncgrpc::loadgen
