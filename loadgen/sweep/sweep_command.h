// `loadgen sweep NAME VALUE=DIR... --out OUT [--description TEXT]`: collects
// the two-target runs of one swept knob (scripts/compare --sweep runs them,
// one directory per value) into OUT/sweep.json (a Results with `sweep` and
// the sweep's `verdict`, no targets) and OUT/report.html, and prints the
// verdict, the crossover first after its basis.
//
//   return SweepCommand({.args = args, .out_dir = "out"}, std::cout,
//                       std::cerr);
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace asyncgrpc::loadgen {

struct SweepFlags {
  // NAME, then VALUE=DIR for each value (DIR: a run's results directory or
  // its results.json).
  std::vector<std::string> args;
  std::string out_dir;
  std::string description;
  // The command line, recorded in sweep.json.
  std::string command;
};

// 0 once OUT/sweep.json and OUT/report.html are written; 2 for bad input
// (NAME not lower_case_words, no VALUE=DIR, a VALUE=DIR that does not parse,
// a run that cannot be read or is not a two-target run like the others, no
// --out), with one line "loadgen: sweep: ..." on `err` and nothing written;
// 1 when writing failed.
int SweepCommand(const SweepFlags& flags, std::ostream& out, std::ostream& err);

}  // namespace asyncgrpc::loadgen
