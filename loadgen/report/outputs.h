// Writes a run's results: results.json (protobuf's JSON printer), steps.csv,
// timeline.csv, server_metrics.csv (with --metrics_url) and report.html into
// one directory, and the side-by-side summary table for the terminal.
//
//   RETURN_IF_ERROR(CheckOutputDir("out/run1"));  // before the run
//   absl::Status status = WriteOutputs(results, "out/run1");
//   std::cout << SummaryTable(results);
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

// A sweep (Results.sweep set; `loadgen sweep`) writes sweep.json and
// report.html only.
absl::Status WriteOutputs(const ::loadgen::v1::Results& results,
                          const std::string& dir);

// OK when `dir` is, or can be created as, a writable directory; else
// PERMISSION_DENIED 'cannot write "DIR": why'. For finding out before the
// load, not after it: tries for real (root passes access(2) checks on
// read-only file systems) and leaves nothing behind.
absl::Status CheckOutputDir(const std::string& dir);

// results.json as loadgen writes it (indented), or on one line (no newline
// at all: JSON strings escape theirs) as --print_results prints it.
absl::StatusOr<std::string> ResultsToJson(const ::loadgen::v1::Results& results,
                                          bool one_line = false);

// One column per target: slowdown onset, error onset, saturation, max rps,
// baseline p95.
std::string SummaryTable(const ::loadgen::v1::Results& results);

}  // namespace asyncgrpc::loadgen
