// A whole run: checks every target answers, waits for --start_at, records the
// run's config, environment and rules, then ramps each target in turn through
// the same schedule (one TargetRun each, target_run.h), with the observers
// and background work main.cc plugs in (step_observer.h).
//
//   absl::StatusOr<::loadgen::v1::Results> results = Run(config);
//   absl::StatusOr<::loadgen::v1::Results> observed = Run(config, hooks);
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
