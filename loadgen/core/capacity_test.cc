#include "loadgen/core/capacity.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

using ::testing::HasSubstr;

// A service that meets the SLO up to `capacity`, judged by a ramp of `loads`.
struct KnownService {
  double capacity;
  std::vector<double> measured;

  Judgement operator()(double load) {
    measured.push_back(load);
    return {.load = load, .met = load <= capacity};
  }
  std::vector<Judgement> Ramp(const std::vector<double>& loads) const {
    std::vector<Judgement> ramp;
    for (double load : loads) {
      ramp.push_back({.load = load, .met = load <= capacity});
    }
    return ramp;
  }
};

TEST(FindCapacity, FindsTheCapacityWithinThePrecision) {
  KnownService service{.capacity = 2345};
  const CapacityResult found =
      FindCapacity(service.Ramp({1000, 2000, 3000, 4000}), {.precision = 0.05},
                   [&](double load) { return service(load); });
  EXPECT_EQ(found.status, CapacityStatus::kWithinPrecision);
  ASSERT_TRUE(found.met_at.has_value() && found.missed_at.has_value());
  EXPECT_LE(*found.met_at, 2345);
  EXPECT_GT(*found.missed_at, 2345);
  EXPECT_LE(*found.missed_at - *found.met_at, 0.05 * *found.met_at);
  // Only between the ramp's last met step and its first missed one.
  ASSERT_FALSE(service.measured.empty());
  for (double load : service.measured) {
    EXPECT_GT(load, 2000);
    EXPECT_LT(load, 3000);
  }
  EXPECT_EQ(found.probes.size(), service.measured.size());
}

TEST(FindCapacity, WholeLoadsStopWhenNoUserFitsBetween) {
  KnownService service{.capacity = 13};
  const CapacityResult found = FindCapacity(
      service.Ramp({10, 20, 30}), {.precision = 0.001, .whole_loads = true},
      [&](double load) { return service(load); });
  EXPECT_EQ(found.status, CapacityStatus::kWithinPrecision);
  EXPECT_EQ(*found.met_at, 13);
  EXPECT_EQ(*found.missed_at, 14);
  for (double load : service.measured) {
    EXPECT_EQ(load, static_cast<int>(load));
  }
}

TEST(FindCapacity, NoMissedStepMeansAtLeastTheRampsEnd) {
  KnownService service{.capacity = 1e9};
  const CapacityResult found = FindCapacity(
      service.Ramp({100, 200}), {}, [&](double load) { return service(load); });
  EXPECT_EQ(found.status, CapacityStatus::kAtLeastRampEnd);
  EXPECT_EQ(*found.met_at, 200);
  EXPECT_TRUE(service.measured.empty());
  EXPECT_THAT(DescribeCapacity(found, "calls/s", 0.05),
              HasSubstr("at least 200 calls/s"));
}

TEST(FindCapacity, AMissedFirstStepMeansBelowTheRampsStart) {
  KnownService service{.capacity = 50};
  const CapacityResult found = FindCapacity(
      service.Ramp({100, 200}), {}, [&](double load) { return service(load); });
  EXPECT_EQ(found.status, CapacityStatus::kBelowRampStart);
  EXPECT_FALSE(found.met_at.has_value());
  EXPECT_EQ(*found.missed_at, 100);
  EXPECT_TRUE(service.measured.empty());
  EXPECT_THAT(DescribeCapacity(found, "users", 0.05),
              HasSubstr("below 100 users"));
}

TEST(FindCapacity, InvalidStepsAreSkippedAndAnInvalidProbeStops) {
  std::vector<Judgement> ramp = {{.load = 100, .valid = false},
                                 {.load = 200, .met = true},
                                 {.load = 300, .valid = false},
                                 {.load = 400, .met = false}};
  int probes = 0;
  const CapacityResult found = FindCapacity(ramp, {}, [&](double load) {
    ++probes;
    return Judgement{.load = load, .valid = false};
  });
  EXPECT_EQ(probes, 1);
  EXPECT_EQ(found.status, CapacityStatus::kUndecided);
  EXPECT_EQ(*found.met_at, 200);
  EXPECT_EQ(*found.missed_at, 400);
  EXPECT_THAT(DescribeCapacity(found, "calls/s", 0.05),
              HasSubstr("probe at 300 was invalid"));
}

TEST(FindCapacity, TheFirstMissBoundsItEvenIfALaterStepMeets) {
  const std::vector<Judgement> ramp = {{.load = 100, .met = true},
                                       {.load = 200, .met = false},
                                       {.load = 300, .met = true}};
  const CapacityResult found = FindCapacity(
      ramp, {.precision = 0.5},
      [](double load) { return Judgement{.load = load, .met = true}; });
  EXPECT_EQ(*found.missed_at, 200);
  EXPECT_LT(*found.met_at, 200);
}

TEST(FindCapacity, NothingValidIsUndecided) {
  const CapacityResult found =
      FindCapacity({{.load = 1, .valid = false}}, {},
                   [](double load) { return Judgement{.load = load}; });
  EXPECT_EQ(found.status, CapacityStatus::kUndecided);
  EXPECT_EQ(CapacityStatusName(found.status), "undecided");
  EXPECT_THAT(DescribeCapacity(found, "users", 0.05),
              HasSubstr("no valid step"));
}

}  // namespace
}  // namespace asyncgrpc::loadgen
