// The Mann-Whitney U test (Wilcoxon rank-sum): do two samples come from the
// same distribution, or does one tend to give larger values? Two-sided, with
// the normal approximation of U corrected for ties and for continuity (as
// scipy.stats.mannwhitneyu(method="asymptotic") computes it). `loadgen diff`
// runs it on the per-second figures of one step in two runs: rank-based, so
// a few wild seconds move it little and no distribution is assumed.
//
//   const MannWhitney test = MannWhitneyU({2.1, 2.0, 2.2}, {3.1, 3.3, 3.0});
//   if (test.p_value < 0.05 && test.z > 0) { ... B tends to be larger ... }
#pragma once

#include <vector>

namespace asyncgrpc::loadgen {

struct MannWhitney {
  // U of `a`: the pairs (x from a, y from b) with x > y, a tie counting half.
  double u = 0;
  // The standardized shift, signed: above 0 when b tends to be larger than a.
  // 0 when every value is the same (no ranking possible).
  double z = 0;
  // Two-sided. 1 when either sample is empty or every value is the same.
  double p_value = 1;
};

// The normal approximation is rough below about 8 values a side: with 3
// against 3, even fully separated samples give p = 0.08.
MannWhitney MannWhitneyU(const std::vector<double>& a,
                         const std::vector<double>& b);

}  // namespace asyncgrpc::loadgen
