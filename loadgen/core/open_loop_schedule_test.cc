#include "loadgen/core/open_loop_schedule.h"

#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

TEST(OpenLoopScheduleTest, EvenSpacingFromTheStart) {
  OpenLoopSchedule schedule(kStart, kStart + absl::Seconds(1), 1000);
  ASSERT_EQ(schedule.Count(), 1000);
  EXPECT_EQ(schedule.At(0), kStart);
  for (int64_t k = 1; k < schedule.Count(); ++k) {
    EXPECT_EQ(schedule.At(k) - schedule.At(k - 1), absl::Milliseconds(1)) << k;
  }
  EXPECT_EQ(schedule.At(999), kStart + absl::Milliseconds(999));
}

TEST(OpenLoopScheduleTest, RatesThatDoNotDivideASecond) {
  OpenLoopSchedule schedule(kStart, kStart + absl::Seconds(1), 3);
  EXPECT_EQ(schedule.Count(), 3);
  EXPECT_LT(
      absl::AbsDuration(schedule.At(2) - (kStart + absl::Seconds(2.0 / 3))),
      absl::Nanoseconds(1));
}

TEST(OpenLoopScheduleTest, SlowRatesLongerThanTheStep) {
  EXPECT_EQ(OpenLoopSchedule(kStart, kStart + absl::Seconds(3), 0.5).Count(),
            2);
  EXPECT_EQ(OpenLoopSchedule(kStart, kStart + absl::Seconds(1), 0.1).Count(),
            1);
}

TEST(OpenLoopScheduleTest, NoDriftOverALongStepAtAHighRate) {
  OpenLoopSchedule schedule(kStart, kStart + absl::Seconds(600), 100'000);
  EXPECT_EQ(schedule.Count(), 60'000'000);
  EXPECT_LT(
      absl::AbsDuration(schedule.At(59'999'999) -
                        (kStart + absl::Seconds(600) - absl::Microseconds(10))),
      absl::Nanoseconds(1));
}

TEST(OpenLoopScheduleTest, EveryPlannedSendFallsInsideTheStep) {
  for (double rate : {1.0, 7.0, 333.3, 1234.5}) {
    OpenLoopSchedule schedule(kStart, kStart + absl::Milliseconds(2500), rate);
    const int64_t count = schedule.Count();
    EXPECT_LT(schedule.At(count - 1), kStart + absl::Milliseconds(2500));
    EXPECT_GE(schedule.At(count), kStart + absl::Milliseconds(2500));
  }
}

}  // namespace
}  // namespace asyncgrpc::loadgen
