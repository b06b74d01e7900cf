#include "loadgen/verdict/figure_range.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "loadgen/core/spread.h"

namespace asyncgrpc::loadgen {

FigureRange FigureRange::Of(const std::vector<double>& values, int runs) {
  const ::loadgen::v1::SpreadPoint point = SpreadOfValues(values);
  return {.median = point.median(),
          .min = point.min(),
          .max = point.max(),
          .found = point.detected(),
          .runs = runs};
}

Comparison Claim(const FigureRange& a, const FigureRange& b) {
  if (!a.InEveryRun() || !b.InEveryRun()) {
    return Comparison::kNotInEveryRun;
  }
  if (std::min(a.runs, b.runs) < kRunsToCompare) {
    return Comparison::kTooFewRuns;
  }
  if (a.min > b.max) {
    return Comparison::kAAbove;
  }
  if (b.min > a.max) {
    return Comparison::kBAbove;
  }
  return Comparison::kOverlap;
}

std::string Describe(const FigureRange& range, int digits) {
  if (range.found <= 1 || range.min == range.max) {
    return absl::StrFormat("%.*f", digits, range.median);
  }
  return absl::StrFormat("%.*f (range %.*f-%.*f)", digits, range.median, digits,
                         range.min, digits, range.max);
}

::loadgen::v1::VerdictFact FactOf(const std::string& name,
                                  const std::string& target,
                                  const FigureRange& range) {
  ::loadgen::v1::VerdictFact fact;
  fact.set_name(name);
  fact.set_target(target);
  fact.set_median(range.median);
  fact.set_min(range.min);
  fact.set_max(range.max);
  fact.set_runs(range.found);
  return fact;
}

}  // namespace asyncgrpc::loadgen
