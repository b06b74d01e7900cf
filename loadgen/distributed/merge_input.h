// The inputs of `loadgen merge`: each INPUT on its command line is a
// results.json file, a directory holding one, or a log holding one or more
// blocks that --print_results framed (framing.h), each block a shard of its
// own. ReadMergeInput turns one INPUT into the shards it holds, each named by
// where it came from (path, or path:line for a block) so that merge.h's
// errors and notes can point at it.
//
//   std::vector<MergeInput> inputs;
//   for (const std::string& path : paths) {
//     ASSIGN_OR_RETURN(std::vector<MergeInput> more, ReadMergeInput(path));
//     inputs.insert(inputs.end(), more.begin(), more.end());
//   }
//   // inputs[i].source: "pods.log:12"; inputs[i].results: that block's run.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

// One shard's results and where they came from.
struct MergeInput {
  std::string source;
  ::loadgen::v1::Results results;
};

// Reads one INPUT of `loadgen merge`: a directory holding results.json, a
// results.json file, or a text file with one or more framed blocks (each is an
// input). NOT_FOUND / INVALID_ARGUMENT naming the path (and line).
absl::StatusOr<std::vector<MergeInput>> ReadMergeInput(const std::string& path);

}  // namespace asyncgrpc::loadgen
