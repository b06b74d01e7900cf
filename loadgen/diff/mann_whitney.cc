#include "loadgen/diff/mann_whitney.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace asyncgrpc::loadgen {

MannWhitney MannWhitneyU(const std::vector<double>& a,
                         const std::vector<double>& b) {
  MannWhitney result;
  const double n1 = static_cast<double>(a.size());
  const double n2 = static_cast<double>(b.size());
  if (a.empty() || b.empty()) {
    return result;
  }
  // Every value with the sample it came from (true: a), sorted by value.
  std::vector<std::pair<double, bool>> all;
  all.reserve(a.size() + b.size());
  for (double x : a) {
    all.emplace_back(x, true);
  }
  for (double y : b) {
    all.emplace_back(y, false);
  }
  std::sort(all.begin(), all.end());
  // Ranks from 1, ties sharing their average rank; sum(t^3 - t) over the
  // groups of ties shrinks U's variance.
  double rank_sum_a = 0;
  double ties = 0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) {
      ++j;
    }
    const double rank =
        (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (size_t k = i; k < j; ++k) {
      rank_sum_a += all[k].second ? rank : 0;
    }
    const double t = static_cast<double>(j - i);
    ties += t * t * t - t;
    i = j;
  }
  const double n = n1 + n2;
  result.u = rank_sum_a - n1 * (n1 + 1) / 2;
  const double mean = n1 * n2 / 2;
  const double variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)));
  if (variance <= 0) {
    return result;
  }
  // U of b is n1 n2 - U of a: b larger means U of a below its mean.
  const double shift = mean - result.u;
  const double corrected = std::max(std::abs(shift) - 0.5, 0.0);
  result.z = std::copysign(corrected / std::sqrt(variance), shift);
  result.p_value =
      std::min(1.0, std::erfc(std::abs(result.z) / std::sqrt(2.0)));
  return result;
}

}  // namespace asyncgrpc::loadgen
