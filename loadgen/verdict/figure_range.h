// One figure of one target over the runs of a --repeat: median, min and max
// of the runs that had it, and whether two such ranges allow a claim.
//
//   FigureRange a = FigureRange::Of({500, 516, 359}, 3);
//   if (Claim(a, b) == Comparison::kAAbove) ...
#pragma once

#include <string>
#include <vector>

#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

struct FigureRange {
  double median = 0;
  double min = 0;
  double max = 0;
  // How many runs had the figure, of how many.
  int found = 0;
  int runs = 0;

  static FigureRange Of(const std::vector<double>& values, int runs);
  bool InEveryRun() const { return runs > 0 && found == runs; }
};

enum class Comparison {
  kAAbove,      // Ranges over >= 3 runs each, A's entirely above B's.
  kBAbove,      // Likewise, B above A.
  kOverlap,     // Ranges over >= 3 runs each that overlap.
  kTooFewRuns,  // Fewer than 3 runs: figures only, no claim.
  kNotInEveryRun,
};

Comparison Claim(const FigureRange& a, const FigureRange& b);

// "500" for one run (or runs that agree), "500 (range 359-516)" for several;
// `digits` decimals.
std::string Describe(const FigureRange& range, int digits = 0);

// A fact of the verdict for `range`.
::loadgen::v1::VerdictFact FactOf(const std::string& name,
                                  const std::string& target,
                                  const FigureRange& range);

}  // namespace asyncgrpc::loadgen
