// LoopPool against a real PostgreSQL: queries submitted in one loop turn share
// a pipeline sync, and when one of them fails the others of its batch (which
// PostgreSQL then skips as PGRES_PIPELINE_ABORTED) are sent again rather than
// failed; and StopWaiters fails what waits for a connection, as the sync pool
// does.
#include "async_service/loop_pool.h"

#include <memory>
#include <vector>

#include "absl/synchronization/notification.h"
#include "common/item_results.h"
#include "gtest/gtest.h"
#include "tests/support/locked_items_test.h"

namespace asyncgrpc::async {
namespace {

using ::asyncgrpc::testing::LockedItemsTest;

// One GetItem request and what it completed with.
struct Call {
  explicit Call(int64_t id, absl::Duration timeout) : id(id) {
    request = std::make_shared<DbRequest>();
    BindGetItem(id, request->query);
    request->deadline = absl::Now() + timeout;
    request->on_complete = [this](absl::StatusOr<PgResultPtr> result) {
      status = result.status();
      if (result.ok()) {
        items::v1::Item item;
        status = BuildGetItemResponse(result->get(), this->id, &item);
        returned_id = item.id();
      }
      done.Notify();
    };
  }
  const int64_t id;
  std::shared_ptr<DbRequest> request;
  absl::Status status;
  int64_t returned_id = 0;
  absl::Notification done;
};

class LoopPoolTest : public LockedItemsTest {
 protected:
  void TearDown() override {
    if (pool_ != nullptr) {
      RunOnLoop([this] { pool_->Close(absl::UnavailableError("test over")); });
    }
    loop_.reset();
    pool_.reset();
  }

  void StartPool(int connections, int pipeline_depth) {
    LoopPool::Options options;
    options.pool.db = {.conninfo = cluster().uri(),
                       .application_name = "loop_pool_test"};
    options.pool.size = connections;
    options.connections = connections;
    options.pipeline_depth = pipeline_depth;
    loop_ = std::make_unique<EventLoop>();
    pool_ = std::make_unique<LoopPool>(*loop_, canceller_, options);
    RunOnLoop([this] { pool_->Start(); });
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    int ready = 0;
    while (ready < connections && absl::Now() < give_up) {
      RunOnLoop([&] { ready = pool_->ReadyConnections(); });
      absl::SleepFor(absl::Milliseconds(5));
    }
    ASSERT_EQ(ready, connections);
  }

  // Runs `task` on the loop thread and waits for it.
  void RunOnLoop(std::function<void()> task) {
    absl::Notification done;
    loop_->Post([&] {
      task();
      done.Notify();
    });
    done.WaitForNotification();
  }

  // Submits every call in one task, so in one turn of the loop.
  void SubmitTogether(const std::vector<Call*>& calls) {
    RunOnLoop([&] {
      for (Call* call : calls) {
        pool_->Submit(call->request, absl::ZeroDuration());
      }
    });
  }

  Canceller canceller_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<LoopPool> pool_;
};

TEST_F(LoopPoolTest, QueriesOfOneTurnAllGetTheirOwnAnswers) {
  StartPool(/*connections=*/2, /*pipeline_depth=*/8);
  std::vector<std::unique_ptr<Call>> calls;
  std::vector<Call*> batch;
  // More than the connections' room: the rest wait in the queue.
  for (int64_t id = 1; id <= 40; ++id) {
    calls.push_back(std::make_unique<Call>(id, absl::Seconds(20)));
    batch.push_back(calls.back().get());
  }
  SubmitTogether(batch);
  for (const auto& call : calls) {
    ASSERT_TRUE(call->done.WaitForNotificationWithTimeout(absl::Seconds(20)));
    EXPECT_TRUE(call->status.ok()) << call->id << ": " << call->status;
    EXPECT_EQ(call->returned_id, call->id);
  }
}

TEST_F(LoopPoolTest, BatchAbortedByACancelledQueryIsSentAgain) {
  StartPool(/*connections=*/1, /*pipeline_depth=*/8);
  Lock();
  // One batch: the first query waits on the lock until its deadline cancels
  // it on the server; PostgreSQL then skips the other two.
  Call first(25, absl::Milliseconds(300));
  Call second(26, absl::Seconds(20));
  Call third(27, absl::Seconds(20));
  SubmitTogether({&first, &second, &third});
  ASSERT_TRUE(first.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_TRUE(absl::IsDeadlineExceeded(first.status)) << first.status;
  // Give the cancel time to reach the server and abort the batch.
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_FALSE(second.done.HasBeenNotified()) << second.status;
  Unlock();
  for (Call* call : {&second, &third}) {
    ASSERT_TRUE(call->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_TRUE(call->status.ok()) << call->id << ": " << call->status;
    EXPECT_EQ(call->returned_id, call->id);
  }
}

// As the sync service's ConnectionPool::StopWaiters: requests waiting for a
// connection, and new ones that would wait, fail with UNAVAILABLE; the query
// already sent finishes.
TEST_F(LoopPoolTest, StopWaitersFailsWaitingAndNewRequestsNotTheRunningOne) {
  StartPool(/*connections=*/1, /*pipeline_depth=*/1);
  Lock();
  Call running(25, absl::Seconds(20));
  Call waiting(26, absl::Seconds(20));
  SubmitTogether({&running, &waiting});
  DbPoolStats stats;
  RunOnLoop([&] { stats = pool_->Stats(); });
  EXPECT_EQ(stats.in_flight, 1);
  EXPECT_EQ(stats.waiting, 1);

  RunOnLoop([this] { pool_->StopWaiters(); });
  ASSERT_TRUE(waiting.done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_TRUE(absl::IsUnavailable(waiting.status)) << waiting.status;
  Call late(27, absl::Seconds(20));
  SubmitTogether({&late});
  ASSERT_TRUE(late.done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_TRUE(absl::IsUnavailable(late.status)) << late.status;

  EXPECT_FALSE(running.done.HasBeenNotified()) << running.status;
  Unlock();
  ASSERT_TRUE(running.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_TRUE(running.status.ok()) << running.status;
  EXPECT_EQ(running.returned_id, 25);
}

}  // namespace
}  // namespace asyncgrpc::async
