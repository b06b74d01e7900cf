// `loadgen merge`: the shards of a distributed run (--shard_index/--shard_count
// processes, e.g. the pods of an Indexed Job) merged into one run, identical in
// form to a single process's. MergeShards checks that the inputs are every
// shard of one run, each once, merges the config and environments, and each
// target with merge_target.h (histograms merged and percentiles recomputed,
// never averaged; detection re-run on the merged steps). The inputs are read
// with merge_input.h.
//
//   std::vector<MergeInput> inputs;
//   for (const std::string& path : paths) {
//     ASSIGN_OR_RETURN(std::vector<MergeInput> more, ReadMergeInput(path));
//     inputs.insert(inputs.end(), more.begin(), more.end());
//   }
//   ASSIGN_OR_RETURN(::loadgen::v1::Results merged,
//                    MergeShards(std::move(inputs), command_line));
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loadgen/distributed/merge_input.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

// Merges the shards of one run. The inputs must be all `shard_count` shards
// of the same run, each once: the same targets, mode, ramp, step duration,
// warm-up, scenario, think time, spawn rate, deadline, seed, detection rules
// and --start_at. Otherwise INVALID_ARGUMENT, one line naming the inputs and
// the mismatch. `command` becomes the merged Config's command.
absl::StatusOr<::loadgen::v1::Results> MergeShards(
    std::vector<MergeInput> inputs, const std::string& command);

}  // namespace asyncgrpc::loadgen
