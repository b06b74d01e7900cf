#include "common/service_config.h"

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "gtest/gtest.h"

ABSL_DECLARE_FLAG(std::string, db);
ABSL_DECLARE_FLAG(int, db_pool_size);
ABSL_DECLARE_FLAG(absl::Duration, shutdown_grace);
ABSL_DECLARE_FLAG(absl::Duration, db_acquire_timeout);

namespace asyncgrpc {
namespace {

TEST(ConnectionWaitDeadlineTest, WithoutACallDeadlineWaitsTheAcquireTimeout) {
  const absl::Time before = absl::Now();
  const absl::Time wait =
      ConnectionWaitDeadline(absl::InfiniteFuture(), absl::Seconds(5));
  EXPECT_GE(wait, before + absl::Seconds(5));
  EXPECT_LE(wait, absl::Now() + absl::Seconds(5));
}

TEST(ConnectionWaitDeadlineTest, LeavesAFifthOfTheCallsTime) {
  const absl::Time call_deadline = absl::Now() + absl::Seconds(10);
  const absl::Time wait = ConnectionWaitDeadline(call_deadline, absl::Hours(1));
  EXPECT_LE(wait, call_deadline - absl::Seconds(2) + absl::Milliseconds(1));
  EXPECT_GE(wait, call_deadline - absl::Seconds(2) - absl::Milliseconds(100));
}

TEST(ConnectionWaitDeadlineTest, ThePassedDeadlineGivesUpAtOnce) {
  const absl::Time now = absl::Now();
  EXPECT_LE(ConnectionWaitDeadline(now - absl::Seconds(1), absl::Seconds(5)),
            now);
}

class ServiceConfigFromFlagsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::SetFlag(&FLAGS_db, "postgresql://u@127.0.0.1:5/items");
  }
  void TearDown() override {
    absl::SetFlag(&FLAGS_db, "");
    absl::SetFlag(&FLAGS_db_pool_size, 16);
    absl::SetFlag(&FLAGS_shutdown_grace, absl::Seconds(10));
    absl::SetFlag(&FLAGS_db_acquire_timeout, absl::Seconds(5));
  }
};

TEST_F(ServiceConfigFromFlagsTest, DefaultsAreValid) {
  absl::StatusOr<ServiceConfig> config = ServiceConfigFromFlags("app");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->pool.size, 16);
  EXPECT_EQ(config->pool.db.application_name, "app");
  EXPECT_FALSE(config->pool.connect_per_request);
}

TEST_F(ServiceConfigFromFlagsTest, RejectsPoolSizesOutOfRange) {
  for (int size : {0, -1, 10'001}) {
    absl::SetFlag(&FLAGS_db_pool_size, size);
    absl::StatusOr<ServiceConfig> config = ServiceConfigFromFlags("app");
    EXPECT_TRUE(absl::IsInvalidArgument(config.status())) << size;
    EXPECT_NE(config.status().message().find("--db_pool_size"),
              std::string::npos);
  }
}

TEST_F(ServiceConfigFromFlagsTest, RejectsNonPositiveTimeouts) {
  absl::SetFlag(&FLAGS_db_acquire_timeout, absl::ZeroDuration());
  EXPECT_TRUE(absl::IsInvalidArgument(ServiceConfigFromFlags("app").status()));
  absl::SetFlag(&FLAGS_db_acquire_timeout, absl::Seconds(1));
  absl::SetFlag(&FLAGS_shutdown_grace, absl::Seconds(-1));
  EXPECT_TRUE(absl::IsInvalidArgument(ServiceConfigFromFlags("app").status()));
}

TEST_F(ServiceConfigFromFlagsTest, RejectsAMalformedConnectionString) {
  absl::SetFlag(&FLAGS_db, "postgresql://[::1");
  absl::StatusOr<ServiceConfig> config = ServiceConfigFromFlags("app");
  EXPECT_TRUE(absl::IsInvalidArgument(config.status()));
  EXPECT_NE(config.status().message().find("--db"), std::string::npos);
}

}  // namespace
}  // namespace asyncgrpc
