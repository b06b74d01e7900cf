#include "loadgen/diff/mann_whitney.h"

#include <vector>

#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

// Conover's example in scipy.stats.mannwhitneyu's documentation: the ages of
// 5 males and 4 females; U = 17, and method="asymptotic" gives p =
// 0.11134688653314041.
TEST(MannWhitneyTest, TextbookExample) {
  const MannWhitney test = MannWhitneyU({19, 22, 16, 29, 24}, {20, 11, 17, 12});
  EXPECT_DOUBLE_EQ(test.u, 17);
  EXPECT_NEAR(test.p_value, 0.11134688653314041, 1e-12);
  EXPECT_LT(test.z, 0);  // The second sample tends to be smaller.
}

// Worked by hand: ranks 1, 3, 3, 5.5 for a (ties averaged), U = 2.5, the
// variance 16/12 × (9 − 30/56) with the ties' correction, continuity 0.5.
TEST(MannWhitneyTest, TiesShareTheirRankAndShrinkTheVariance) {
  const MannWhitney test = MannWhitneyU({1, 2, 2, 3}, {2, 3, 4, 5});
  EXPECT_DOUBLE_EQ(test.u, 2.5);
  EXPECT_NEAR(test.z, 1.4883513944689681, 1e-12);
  EXPECT_NEAR(test.p_value, 0.13665824773814753, 1e-12);
}

TEST(MannWhitneyTest, FullySeparatedEightAgainstEight) {
  const std::vector<double> a = {1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<double> b = {11, 12, 13, 14, 15, 16, 17, 18};
  const MannWhitney up = MannWhitneyU(a, b);
  EXPECT_DOUBLE_EQ(up.u, 0);
  EXPECT_GT(up.z, 0);
  EXPECT_LT(up.p_value, 0.001);
  EXPECT_NEAR(up.p_value, 0.0009391056991171905, 1e-12);
  const MannWhitney down = MannWhitneyU(b, a);
  EXPECT_DOUBLE_EQ(down.u, 64);
  EXPECT_LT(down.z, 0);
  EXPECT_DOUBLE_EQ(down.p_value, up.p_value);
}

TEST(MannWhitneyTest, IdenticalSamplesAreNoDifference) {
  const std::vector<double> a = {3.1, 2.9, 3.0, 3.2, 2.8};
  const MannWhitney test = MannWhitneyU(a, a);
  EXPECT_DOUBLE_EQ(test.p_value, 1);
  EXPECT_DOUBLE_EQ(test.z, 0);
}

TEST(MannWhitneyTest, AllValuesEqualOrASampleEmptyIsNoDifference) {
  EXPECT_DOUBLE_EQ(MannWhitneyU({5, 5, 5}, {5, 5, 5, 5}).p_value, 1);
  EXPECT_DOUBLE_EQ(MannWhitneyU({}, {1, 2, 3}).p_value, 1);
  EXPECT_DOUBLE_EQ(MannWhitneyU({1, 2, 3}, {}).p_value, 1);
}

TEST(MannWhitneyTest, ThreeAgainstThreeCanNeverBeSignificant) {
  EXPECT_GT(MannWhitneyU({1, 2, 3}, {10, 11, 12}).p_value, 0.05);
  EXPECT_LT(MannWhitneyU({1, 2, 3, 4}, {10, 11, 12, 13}).p_value, 0.05);
}

}  // namespace
}  // namespace asyncgrpc::loadgen
