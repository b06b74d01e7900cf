// The framing of results in logs: what --print_results prints around
// results.json so that `loadgen merge` can find it again among other lines
// (what `kubectl logs` of the pods of a distributed run gives). The writing
// side is FrameResults; the reading side, FindResultsBlocks, tolerates what
// log collectors add. Reading whole inputs (files, directories, logs) is
// merge_input.h's.
//
//   ASSIGN_OR_RETURN(const std::string framed, FrameResults(results));
//   std::cout << framed;  // begin line, one line of JSON, end line
//   ...
//   ASSIGN_OR_RETURN(std::vector<ResultsBlock> blocks,
//                    FindResultsBlocks(log_text));
//   for (const ResultsBlock& block : blocks) {
//     Parse(block.json);  // block.line names its begin marker
//   }
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

}  // namespace asyncgrpc::loadgen
