// Whether two runs can be compared step by step: the same targets (by name)
// under the same load. Everything that shapes the load must agree: mode,
// ramp, step duration, warm-up, spawn rate, think time, scenario, deadline,
// channels, max in flight, seed and the shard (count, index, merged). What
// does not shape it may differ: the command line, --start_at, the targets'
// addresses, --metrics_url, --cpu_pid and the detection thresholds (they
// judge the load, they do not make it).
//
//   RETURN_IF_ERROR(CheckSameConfig(before, after));
//   // INVALID_ARGUMENT, one line, e.g.
//   //   diff: A and B ran different configs: ramp_end is "1500" in A, "1000" in B
//   //   diff: unrelated runs: target "sync" is only in A (A has async,sync; B has async)
#pragma once

#include "absl/status/status.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

// OK, or INVALID_ARGUMENT naming the first field that differs and both values.
absl::Status CheckSameConfig(const ::loadgen::v1::Results& a,
                             const ::loadgen::v1::Results& b);

}  // namespace asyncgrpc::loadgen
