// DbShard against a real PostgreSQL: queries submitted in one loop turn share a
// pipeline sync, and when one of them fails the others of its batch (which
// PostgreSQL then skips as PGRES_PIPELINE_ABORTED) are sent again rather than
// failed.
#include "async_service/db_shard.h"

#include <memory>
#include <vector>

#include "absl/synchronization/notification.h"
#include "common/item_results.h"
#include "gtest/gtest.h"
#include "tests/support/postgres_cluster.h"

namespace asyncgrpc::async {
namespace {

using ::asyncgrpc::testing::HeldConnection;
using ::asyncgrpc::testing::PostgresCluster;

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

class DbShardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = PostgresCluster::StartPrivate();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
  }

  void TearDown() override {
    if (shard_ != nullptr) {
      RunOnLoop([this] { shard_->Close(absl::UnavailableError("test over")); });
    }
    loop_.reset();
    shard_.reset();
  }

  void StartShard(int connections, int pipeline_depth) {
    ShardOptions options;
    options.pool.db = {.conninfo = cluster_->uri(),
                       .application_name = "db_shard_test"};
    options.pool.size = connections;
    options.connections = connections;
    options.pipeline_depth = pipeline_depth;
    loop_ = std::make_unique<EventLoop>();
    shard_ = std::make_unique<DbShard>(*loop_, canceller_, options);
    RunOnLoop([this] { shard_->Start(); });
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    int ready = 0;
    while (ready < connections && absl::Now() < give_up) {
      RunOnLoop([&] { ready = shard_->ReadyConnections(); });
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
        shard_->Submit(call->request, absl::ZeroDuration());
      }
    });
  }

  std::unique_ptr<PostgresCluster> cluster_;
  Canceller canceller_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<DbShard> shard_;
};

TEST_F(DbShardTest, QueriesOfOneTurnAllGetTheirOwnAnswers) {
  StartShard(/*connections=*/2, /*pipeline_depth=*/8);
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

TEST_F(DbShardTest, BatchAbortedByACancelledQueryIsSentAgain) {
  StartShard(/*connections=*/1, /*pipeline_depth=*/8);
  auto holder = HeldConnection::Connect(cluster_->uri());
  ASSERT_TRUE(holder.ok()) << holder.status();
  ASSERT_TRUE(
      (*holder)->Exec("BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE").ok());
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
  ASSERT_TRUE((*holder)->Exec("ROLLBACK").ok());
  for (Call* call : {&second, &third}) {
    ASSERT_TRUE(call->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_TRUE(call->status.ok()) << call->id << ": " << call->status;
    EXPECT_EQ(call->returned_id, call->id);
  }
}

}  // namespace
}  // namespace asyncgrpc::async
