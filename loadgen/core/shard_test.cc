#include "loadgen/core/shard.h"

#include <set>

#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

TEST(ShardTest, UsersAddUpAndTheFirstShardsTakeTheRemainder) {
  EXPECT_EQ(ShardUsers(10, 0, 3), 4);
  EXPECT_EQ(ShardUsers(10, 1, 3), 3);
  EXPECT_EQ(ShardUsers(10, 2, 3), 3);
  EXPECT_EQ(ShardUsers(2, 2, 3), 0);
  for (int count = 1; count <= 9; ++count) {
    for (int users = 0; users <= 50; ++users) {
      int sum = 0;
      for (int index = 0; index < count; ++index) {
        const int mine = ShardUsers(users, index, count);
        EXPECT_GE(mine, users / count);
        EXPECT_LE(mine, users / count + 1);
        sum += mine;
      }
      EXPECT_EQ(sum, users) << users << " users over " << count;
    }
  }
}

TEST(ShardTest, TheShardsUsersAreTheWholeRunsUsersEachOnce) {
  for (int count = 1; count <= 7; ++count) {
    for (int users = 0; users <= 40; ++users) {
      std::set<int64_t> ids;
      for (int index = 0; index < count; ++index) {
        for (int local = 0; local < ShardUsers(users, index, count); ++local) {
          EXPECT_TRUE(ids.insert(ShardUserId(local, index, count)).second);
        }
      }
      ASSERT_EQ(static_cast<int>(ids.size()), users);
      if (users > 0) {
        EXPECT_EQ(*ids.begin(), 0);
        EXPECT_EQ(*ids.rbegin(), users - 1);
      }
    }
  }
}

TEST(ShardTest, RatesAreSplitEvenly) {
  EXPECT_DOUBLE_EQ(ShardRate(300, 3), 100);
  EXPECT_DOUBLE_EQ(ShardRate(100, 3) * 3, 100);
  EXPECT_DOUBLE_EQ(ShardRate(42.5, 1), 42.5);
}

}  // namespace
}  // namespace asyncgrpc::loadgen
