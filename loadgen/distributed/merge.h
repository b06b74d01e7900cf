// `loadgen merge`: the shards of a distributed run (--shard_index/--shard_count
// processes, e.g. the pods of an Indexed Job) merged into one run, identical in
// form to a single process's: per target and step the histograms are merged
// bucket by bucket and the percentiles recomputed from them (never averaged),
// counts, rates and loadgen's CPU summed, validity and-ed, the timelines summed
// second by second, and detection re-run on the merged steps. Inputs come from
// results.json files, directories holding one, or logs holding the blocks
// --print_results frames (what `kubectl logs` of the pods gives).
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
#include "absl/strings/string_view.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

// The lines that frame results.json in --print_results output.
inline constexpr absl::string_view kResultsBegin =
    "=== loadgen results.json begin ===";
inline constexpr absl::string_view kResultsEnd =
    "=== loadgen results.json end ===";

// What --print_results prints: the begin line, results.json on one line, the
// end line, each ending in '\n'.
absl::StatusOr<std::string> FrameResults(const ::loadgen::v1::Results& results);

// A framed block found in a log.
struct ResultsBlock {
  int line = 0;  // 1-based line of its begin marker.
  std::string json;
};

// Every framed block in `text`, in order; other lines are ignored. Tolerates
// what log collectors add: CRLF line ends, a leading RFC 3339 timestamp
// (`kubectl logs --timestamps`), a per-pod prefix before the markers (`kubectl
// logs --prefix`; blocks of several pods may then interleave, told apart by
// their prefix), and a long line split over several (the pieces are joined).
// INVALID_ARGUMENT naming the line for a block without an end, an end without
// a begin, or a block begun twice.
absl::StatusOr<std::vector<ResultsBlock>> FindResultsBlocks(
    absl::string_view text);

// One shard's results and where they came from.
struct MergeInput {
  std::string source;
  ::loadgen::v1::Results results;
};

// Reads one INPUT of `loadgen merge`: a directory holding results.json, a
// results.json file, or a text file with one or more framed blocks (each is an
// input). NOT_FOUND / INVALID_ARGUMENT naming the path (and line).
absl::StatusOr<std::vector<MergeInput>> ReadMergeInput(const std::string& path);

// Merges the shards of one run. The inputs must be all `shard_count` shards
// of the same run, each once: the same targets, mode, ramp, step duration,
// warm-up, scenario, think time, spawn rate, deadline, seed, detection rules
// and --start_at. Otherwise INVALID_ARGUMENT, one line naming the inputs and
// the mismatch. `command` becomes the merged Config's command.
absl::StatusOr<::loadgen::v1::Results> MergeShards(
    std::vector<MergeInput> inputs, const std::string& command);

}  // namespace asyncgrpc::loadgen
