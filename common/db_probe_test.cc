#include "common/db_probe.h"

#include "gtest/gtest.h"

namespace asyncgrpc {
namespace {

const absl::Status kOk = absl::OkStatus();
const absl::Status kDown = absl::UnavailableError("down");

TEST(ReadinessTest, ARefusedProbeCountsAtOnce) {
  Readiness readiness;
  EXPECT_FALSE(readiness.Observe(kDown, /*timed_out=*/false));
  EXPECT_TRUE(readiness.Observe(kOk, false));
}

TEST(ReadinessTest, OneSlowProbeIsForgiven) {
  Readiness readiness;
  EXPECT_TRUE(readiness.Observe(kDown, /*timed_out=*/true));
  EXPECT_TRUE(readiness.Observe(kOk, false));
  // Forgiven again after a good probe in between.
  EXPECT_TRUE(readiness.Observe(kDown, true));
}

TEST(ReadinessTest, TwoSlowProbesInARowCount) {
  Readiness readiness;
  EXPECT_TRUE(readiness.Observe(kDown, /*timed_out=*/true));
  EXPECT_FALSE(readiness.Observe(kDown, true));
  // Once down, every failed probe keeps it down.
  EXPECT_FALSE(readiness.Observe(kDown, true));
  EXPECT_TRUE(readiness.Observe(kOk, false));
}

TEST(ReadinessTest, ASlowProbeThenARefusedOneCounts) {
  Readiness readiness;
  EXPECT_TRUE(readiness.Observe(kDown, /*timed_out=*/true));
  EXPECT_FALSE(readiness.Observe(kDown, false));
}

}  // namespace
}  // namespace asyncgrpc
