// Ramps each target in turn through the same schedule — closed loop (virtual
// users with think time, like Locust) or open loop (arrivals at planned times,
// latency measured from the planned time: corrected for coordinated omission) —
// and turns what the Recorder saw into results.
//
//   absl::StatusOr<::loadgen::v1::Results> results = Run(config);
#pragma once

#include "absl/status/statusor.h"
#include "loadgen/core/config.h"
#include "loadgen/core/step_observer.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

// Checks every target answers (UNAVAILABLE naming the target otherwise), then
// runs the ramp against each, with what `hooks` plugs in. Progress goes to
// stderr.
absl::StatusOr<::loadgen::v1::Results> Run(const RunConfig& config,
                                           const RunHooks& hooks = {});

}  // namespace asyncgrpc::loadgen
