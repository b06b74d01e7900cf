#include "loadgen/core/spread.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;
using ::testing::HasSubstr;

// A target whose runs reached these peaks and capacities (0: none found).
pb::TargetResult TargetWith(const std::string& name,
                            const std::vector<double>& max_rps,
                            const std::vector<double>& capacity) {
  pb::TargetResult target;
  target.set_name(name);
  for (size_t i = 0; i < max_rps.size(); ++i) {
    pb::TargetResult* run = target.add_repeats();
    run->mutable_summary()->set_max_rps(max_rps[i]);
    if (capacity[i] > 0) {
      run->mutable_summary()->set_capacity(capacity[i]);
    }
  }
  *target.mutable_summary()->mutable_spread() = SpreadOf(target.repeats());
  return target;
}

const pb::PointComparison* Find(const pb::Results& results,
                                const std::string& point) {
  for (const pb::PointComparison& c : results.comparisons()) {
    if (c.point() == point) {
      return &c;
    }
  }
  return nullptr;
}

TEST(SpreadOf, MedianMinMaxOverTheRunsThatDetectedIt) {
  const pb::TargetResult target =
      TargetWith("sync", {300, 100, 200, 400}, {10, 0, 30, 20});
  const pb::Spread& spread = target.summary().spread();
  EXPECT_EQ(spread.runs(), 4);
  EXPECT_EQ(spread.max_rps().detected(), 4);
  EXPECT_DOUBLE_EQ(spread.max_rps().median(), 250);
  EXPECT_DOUBLE_EQ(spread.max_rps().min(), 100);
  EXPECT_DOUBLE_EQ(spread.max_rps().max(), 400);
  EXPECT_EQ(spread.capacity().detected(), 3);
  EXPECT_DOUBLE_EQ(spread.capacity().median(), 20);
  EXPECT_EQ(spread.slowdown_at().detected(), 0);
}

TEST(ComparePoints, SeparateRangesDifferOverlappingOnesDoNot) {
  pb::Results results;
  *results.add_targets() = TargetWith("sync", {100, 110, 105}, {50, 60, 55});
  *results.add_targets() = TargetWith("async", {200, 190, 210}, {58, 70, 65});
  ComparePoints(results);
  ASSERT_NE(Find(results, "max_rps"), nullptr);
  EXPECT_EQ(Find(results, "max_rps")->verdict(), "differ");
  EXPECT_THAT(Find(results, "max_rps")->text(), HasSubstr("range 100-110"));
  EXPECT_EQ(Find(results, "capacity")->verdict(), "same within spread");
  // Detected in no run of either: not compared.
  EXPECT_EQ(Find(results, "slowdown_at"), nullptr);
}

TEST(ComparePoints, FewerThanThreeRunsMakeNoClaim) {
  pb::Results results;
  *results.add_targets() = TargetWith("sync", {100, 110}, {0, 0});
  *results.add_targets() = TargetWith("async", {900, 910}, {0, 0});
  ComparePoints(results);
  EXPECT_EQ(Find(results, "max_rps")->verdict(), "no claim");
  EXPECT_THAT(Find(results, "max_rps")->text(), HasSubstr("fewer than 3"));
}

TEST(ComparePoints, APointMissingInSomeRunMakesNoClaim) {
  pb::Results results;
  *results.add_targets() = TargetWith("sync", {1, 1, 1}, {10, 0, 12});
  *results.add_targets() = TargetWith("async", {1, 1, 1}, {90, 95, 99});
  ComparePoints(results);
  EXPECT_EQ(Find(results, "capacity")->verdict(), "no claim");
  EXPECT_THAT(Find(results, "capacity")->text(),
              HasSubstr("detected in 2 of 3 runs of sync"));
}

}  // namespace
}  // namespace asyncgrpc::loadgen
