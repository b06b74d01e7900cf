// ConnectionPool against a real PostgreSQL (a private cluster: the tests lock
// the items table and stop the database). Proves that Execute returns the
// rows; that Warm opens every connection and Stats counts the ones in use;
// that a call waits for a free connection, and gives up with
// RESOURCE_EXHAUSTED before its deadline when none frees; that StopWaiters
// fails waiting and would-be-waiting calls with UNAVAILABLE while a running
// query finishes; that a cancelled call ends its wait (CANCELLED) or its
// running query; that a deadline passing during a query cancels it on the
// server (DEADLINE_EXCEEDED) and keeps the connection; and that a stopped
// database fails calls fast with UNAVAILABLE until, after the reconnect
// backoff, the restarted one serves again; a call that runs out of its own
// time while connecting or preparing neither starts that backoff nor passes
// for a deadline when its client cancelled it.
#include "sync_service/connection_pool.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/item_results.h"
#include "common/queries.h"
#include "common/service_config.h"
#include "gtest/gtest.h"
#include "tests/support/locked_items_test.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/wait.h"

namespace asyncgrpc::sync {
namespace {

using ::asyncgrpc::testing::HeldConnection;
using ::asyncgrpc::testing::LockedItemsTest;
using ::asyncgrpc::testing::PostgresCluster;
using ::asyncgrpc::testing::UriWithLockTimeout;
using ::asyncgrpc::testing::WaitFor;

// Bounds every wait of a test for something the pool should do promptly.
constexpr absl::Duration kPatience = absl::Seconds(10);

// A GetItem call's outcome: the id of the row it returned, or why not.
absl::StatusOr<int64_t> ItemIdOf(absl::StatusOr<PgResultPtr> result,
                                 int64_t id) {
  if (!result.ok()) {
    return result.status();
  }
  items::v1::Item item;
  if (absl::Status status = BuildGetItemResponse(result->get(), id, &item);
      !status.ok()) {
    return status;
  }
  return item.id();
}

absl::StatusOr<int64_t> GetItem(ConnectionPool& pool, int64_t id,
                                const CallContext& call) {
  BoundQuery query;
  BindGetItem(id, query);
  return ItemIdOf(pool.Execute(query, call), id);
}

CallContext WithTimeout(absl::Duration timeout) {
  return {.deadline = absl::Now() + timeout};
}

// A call whose is_cancelled() turns true when the test says so.
CallContext Cancellable(const std::shared_ptr<std::atomic<bool>>& cancelled,
                        absl::Duration timeout) {
  return {.deadline = absl::Now() + timeout,
          .is_cancelled = [cancelled] { return cancelled->load(); }};
}

// One GetItem through the pool on a thread of its own, so that the test can
// look at the pool while the call waits or runs.
class BackgroundCall {
 public:
  BackgroundCall(ConnectionPool& pool, int64_t id, CallContext call)
      : id_(id), call_(std::move(call)) {
    BindGetItem(id_, query_);
    thread_ = std::thread([this, &pool] {
      result_ = ItemIdOf(pool.Execute(query_, call_), id_);
      finished_ = absl::Now();
      done_.Notify();
    });
  }
  BackgroundCall(const BackgroundCall&) = delete;
  BackgroundCall& operator=(const BackgroundCall&) = delete;
  ~BackgroundCall() { thread_.join(); }

  // True once the call has returned (waiting up to `timeout` for it).
  bool Wait(absl::Duration timeout = kPatience) {
    return done_.WaitForNotificationWithTimeout(timeout);
  }
  bool Done() const { return done_.HasBeenNotified(); }
  // Only after Wait() returned true.
  const absl::StatusOr<int64_t>& result() const { return result_; }
  absl::Time finished() const { return finished_; }

 private:
  const int64_t id_;
  const CallContext call_;
  BoundQuery query_;
  absl::StatusOr<int64_t> result_;
  absl::Time finished_;
  absl::Notification done_;
  std::thread thread_;
};

// Stats as text, for comparisons with readable failures.
std::string Text(const DbPoolStats& stats) {
  return absl::StrCat("in_use=", stats.in_use, " idle=", stats.idle,
                      " waiting=", stats.waiting,
                      " in_flight=", stats.in_flight);
}

// A GetItem outcome as text: "id N" or the status.
std::string Text(const absl::StatusOr<int64_t>& result) {
  return result.ok() ? absl::StrCat("id ", *result)
                     : result.status().ToString();
}

// One cluster for the suite; every test makes its own pool, whose sessions
// carry an application_name of their own.
class ConnectionPoolTest : public LockedItemsTest {
 protected:
  void SetUp() override {
    LockedItemsTest::SetUp();
    application_name_ = absl::StrCat("connection_pool_test_", ++pools_);
  }

  DbPoolConfig Config(int size) const {
    DbPoolConfig config;
    config.db = {.conninfo = UriWithLockTimeout(cluster().uri()),
                 .application_name = application_name_};
    config.size = size;
    return config;
  }

  // The pool's sessions (by application_name) whose wait_event_type is
  // `wait_event_type` (any if empty); -1 if the server cannot be asked.
  int Sessions(const std::string& wait_event_type = "") {
    std::string sql = absl::StrCat(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = '",
        application_name_, "'");
    if (!wait_event_type.empty()) {
      absl::StrAppend(&sql, " AND wait_event_type = '", wait_event_type, "'");
    }
    auto rows = observer().Query(sql);
    return rows.ok() ? std::stoi((*rows)[0][0]) : -1;
  }
  // The server pid of the pool's only session ("" unless there is one).
  std::string OnlySessionPid() {
    auto rows = observer().Query(absl::StrCat(
        "SELECT pid FROM pg_stat_activity WHERE application_name = '",
        application_name_, "'"));
    return rows.ok() && rows->size() == 1 ? (*rows)[0][0] : "";
  }
  // A warmed pool of one connection.
  std::unique_ptr<ConnectionPool> PoolOfOne(absl::Duration acquire_timeout) {
    DbPoolConfig config = Config(1);
    config.acquire_timeout = acquire_timeout;
    auto pool = std::make_unique<ConnectionPool>(config);
    pool->Warm(absl::Now() + kPatience);
    return pool;
  }
  // Locks the table and starts a call (id 25) that takes the pool's only
  // connection and waits on the lock, so that the next call has to wait.
  std::unique_ptr<BackgroundCall> OccupyTheConnection(ConnectionPool& pool) {
    Lock();
    return std::make_unique<BackgroundCall>(pool, 25,
                                            WithTimeout(kPatience * 2));
  }
  bool QueriesBlockedOnTheLock(int count) {
    return WaitFor([&] { return Sessions("Lock") == count; }, kPatience);
  }

  static int pools_;
  std::string application_name_;
};

int ConnectionPoolTest::pools_ = 0;

TEST_F(ConnectionPoolTest, ExecuteReturnsTheRowsOfItsQuery) {
  ConnectionPool pool(Config(2));
  EXPECT_EQ(Text(GetItem(pool, 25, WithTimeout(kPatience))), "id 25");
  EXPECT_EQ(Text(GetItem(pool, 800, WithTimeout(kPatience))), "id 800");
  // An id with no row: the query succeeds with no rows.
  EXPECT_TRUE(
      absl::IsNotFound(GetItem(pool, 123456, WithTimeout(kPatience)).status()));

  BoundQuery list;
  BindListItems({.page_size = 10}, list);
  absl::StatusOr<PgResultPtr> page = pool.Execute(list, WithTimeout(kPatience));
  ASSERT_TRUE(page.ok()) << page.status();
  // One row more than the page, to tell whether a next page exists.
  EXPECT_EQ(PQntuples(page->get()), 11);
}

TEST_F(ConnectionPoolTest, WarmOpensEveryConnectionAndStatsCountsTheBusyOne) {
  ConnectionPool pool(Config(3));
  EXPECT_EQ(Text(pool.Stats()), Text(DbPoolStats{}))
      << "nothing opened before Warm";
  EXPECT_EQ(Sessions(), 0);

  pool.Warm(absl::Now() + kPatience);
  EXPECT_EQ(Text(pool.Stats()), Text(DbPoolStats{.idle = 3}));
  EXPECT_EQ(Sessions(), 3);

  Lock();
  BackgroundCall call(pool, 25, WithTimeout(kPatience * 2));
  ASSERT_TRUE(QueriesBlockedOnTheLock(1));
  EXPECT_EQ(Text(pool.Stats()),
            Text(DbPoolStats{.in_use = 1, .idle = 2, .in_flight = 1}));
  EXPECT_FALSE(call.Done());

  Unlock();
  ASSERT_TRUE(call.Wait());
  EXPECT_EQ(Text(call.result()), "id 25");
  EXPECT_EQ(Text(pool.Stats()), Text(DbPoolStats{.idle = 3}));
  EXPECT_EQ(Sessions(), 3) << "the call used a warm connection";
}

TEST_F(ConnectionPoolTest, CallWaitsForTheConnectionToBeFreed) {
  const std::unique_ptr<ConnectionPool> pool = PoolOfOne(kPatience * 2);
  const std::unique_ptr<BackgroundCall> running = OccupyTheConnection(*pool);
  ASSERT_TRUE(QueriesBlockedOnTheLock(1));
  BackgroundCall waiting(*pool, 26, WithTimeout(kPatience * 2));
  ASSERT_TRUE(WaitFor([&] { return pool->Stats().waiting == 1; }, kPatience));
  EXPECT_FALSE(waiting.Done());

  Unlock();
  ASSERT_TRUE(running->Wait());
  ASSERT_TRUE(waiting.Wait());
  EXPECT_EQ(Text(running->result()), "id 25");
  EXPECT_EQ(Text(waiting.result()), "id 26");
  EXPECT_EQ(Text(pool->Stats()), Text(DbPoolStats{.idle = 1}));
}

TEST_F(ConnectionPoolTest, WaitGivesUpWithResourceExhaustedBeforeTheDeadline) {
  // The acquire timeout is longer than the call's deadline.
  const std::unique_ptr<ConnectionPool> pool = PoolOfOne(kPatience * 2);
  const std::unique_ptr<BackgroundCall> running = OccupyTheConnection(*pool);
  ASSERT_TRUE(QueriesBlockedOnTheLock(1));

  const absl::Time start = absl::Now();
  const absl::Time deadline = start + absl::Seconds(1);
  absl::StatusOr<int64_t> result = GetItem(*pool, 26, {.deadline = deadline});
  const absl::Time end = absl::Now();
  EXPECT_TRUE(absl::IsResourceExhausted(result.status())) << result.status();
  // It waited (for four fifths of its time), then answered before its
  // deadline, so the client sees RESOURCE_EXHAUSTED, not its own timeout.
  EXPECT_GE(end - start, absl::Milliseconds(700));
  EXPECT_LT(end, deadline);
  EXPECT_EQ(pool->Stats().waiting, 0);
  EXPECT_FALSE(running->Done()) << "the running query was left alone";

  Unlock();
  ASSERT_TRUE(running->Wait());
  EXPECT_EQ(Text(running->result()), "id 25");
}

TEST_F(ConnectionPoolTest, AcquireTimeoutBoundsTheWaitOfACallWithNoDeadline) {
  const std::unique_ptr<ConnectionPool> pool =
      PoolOfOne(absl::Milliseconds(300));
  const std::unique_ptr<BackgroundCall> running = OccupyTheConnection(*pool);
  ASSERT_TRUE(QueriesBlockedOnTheLock(1));

  const absl::Time start = absl::Now();
  absl::StatusOr<int64_t> result = GetItem(*pool, 26, CallContext{});
  EXPECT_TRUE(absl::IsResourceExhausted(result.status())) << result.status();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));

  Unlock();
  ASSERT_TRUE(running->Wait());
  EXPECT_EQ(Text(running->result()), "id 25");
}

TEST_F(ConnectionPoolTest, StopWaitersFailsWaitingAndNewCallsNotTheRunningOne) {
  const std::unique_ptr<ConnectionPool> pool = PoolOfOne(kPatience * 2);
  const std::unique_ptr<BackgroundCall> running = OccupyTheConnection(*pool);
  ASSERT_TRUE(QueriesBlockedOnTheLock(1));
  BackgroundCall waiting(*pool, 26, WithTimeout(kPatience * 2));
  ASSERT_TRUE(WaitFor([&] { return pool->Stats().waiting == 1; }, kPatience));

  pool->StopWaiters();
  ASSERT_TRUE(waiting.Wait(absl::Seconds(2)));
  EXPECT_TRUE(absl::IsUnavailable(waiting.result().status()))
      << waiting.result().status();
  // A new call would have to wait: it fails at once.
  const absl::Time start = absl::Now();
  absl::StatusOr<int64_t> late = GetItem(*pool, 27, WithTimeout(kPatience));
  EXPECT_TRUE(absl::IsUnavailable(late.status())) << late.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));

  EXPECT_FALSE(running->Done());
  Unlock();
  ASSERT_TRUE(running->Wait());
  EXPECT_EQ(Text(running->result()), "id 25") << "the running query finished";
  // Only waiting is refused: a call that finds a free connection still runs.
  EXPECT_EQ(Text(GetItem(*pool, 28, WithTimeout(kPatience))), "id 28");
}

TEST_F(ConnectionPoolTest, CancelledCallStopsWaitingForAConnection) {
  const std::unique_ptr<ConnectionPool> pool = PoolOfOne(kPatience * 2);
  const std::unique_ptr<BackgroundCall> running = OccupyTheConnection(*pool);
  ASSERT_TRUE(QueriesBlockedOnTheLock(1));
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  BackgroundCall waiting(*pool, 26, Cancellable(cancelled, kPatience * 2));
  ASSERT_TRUE(WaitFor([&] { return pool->Stats().waiting == 1; }, kPatience));

  const absl::Time cancel_time = absl::Now();
  cancelled->store(true);
  ASSERT_TRUE(waiting.Wait());
  EXPECT_TRUE(absl::IsCancelled(waiting.result().status()))
      << waiting.result().status();
  EXPECT_LT(waiting.finished() - cancel_time, absl::Seconds(1));
  EXPECT_EQ(pool->Stats().waiting, 0);

  EXPECT_FALSE(running->Done());
  Unlock();
  ASSERT_TRUE(running->Wait());
  EXPECT_EQ(Text(running->result()), "id 25");
}

TEST_F(ConnectionPoolTest, CancelledCallStopsItsQueryAndKeepsTheConnection) {
  ConnectionPool pool(Config(1));
  pool.Warm(absl::Now() + kPatience);
  const std::string pid = OnlySessionPid();
  ASSERT_NE(pid, "");
  Lock();
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  BackgroundCall call(pool, 25, Cancellable(cancelled, kPatience * 2));
  ASSERT_TRUE(QueriesBlockedOnTheLock(1));

  const absl::Time cancel_time = absl::Now();
  cancelled->store(true);
  ASSERT_TRUE(call.Wait());
  EXPECT_TRUE(absl::IsCancelled(call.result().status()))
      << call.result().status();
  EXPECT_LT(call.finished() - cancel_time, absl::Seconds(2));
  // The server stopped the query (the table is still locked).
  EXPECT_EQ(Sessions("Lock"), 0);

  Unlock();
  EXPECT_EQ(Text(GetItem(pool, 26, WithTimeout(kPatience))), "id 26");
  EXPECT_EQ(OnlySessionPid(), pid) << "the same connection served again";
}

TEST_F(ConnectionPoolTest, DeadlineCancelsTheQueryOnTheServerKeepsConnection) {
  ConnectionPool pool(Config(1));
  pool.Warm(absl::Now() + kPatience);
  const std::string pid = OnlySessionPid();
  ASSERT_NE(pid, "");
  Lock();

  const absl::Time start = absl::Now();
  absl::StatusOr<int64_t> result =
      GetItem(pool, 25, WithTimeout(absl::Milliseconds(500)));
  const absl::Duration took = absl::Now() - start;
  EXPECT_TRUE(absl::IsDeadlineExceeded(result.status())) << result.status();
  EXPECT_GE(took, absl::Milliseconds(500));
  EXPECT_LT(took, absl::Seconds(3)) << "the deadline, not lock_timeout";
  // Cancelled on the server: no session of the pool waits for the lock any
  // more although the table is still locked.
  EXPECT_EQ(Sessions("Lock"), 0);
  EXPECT_EQ(Text(pool.Stats()), Text(DbPoolStats{.idle = 1}));

  Unlock();
  EXPECT_EQ(Text(GetItem(pool, 26, WithTimeout(kPatience))), "id 26");
  EXPECT_EQ(OnlySessionPid(), pid) << "the connection was kept, not reopened";
}

// A call whose deadline has already passed when it would open a connection
// times that connect out at once. That says nothing of the database: the pool
// must not take it for an outage (reconnect_backoff, during which every call
// that needs a connection would fail with UNAVAILABLE).
TEST_F(ConnectionPoolTest, ExpiredCallDoesNotMakeAHealthyDatabaseLookDown) {
  DbPoolConfig config = Config(1);
  config.reconnect_backoff = absl::Seconds(5);
  ConnectionPool pool(config);  // Not warmed: the first call connects.

  absl::StatusOr<int64_t> expired =
      GetItem(pool, 25, {.deadline = absl::Now() - absl::Milliseconds(1)});
  EXPECT_FALSE(expired.ok());
  EXPECT_FALSE(absl::IsUnavailable(expired.status()))
      << "the database is up; the call ran out of time: " << expired.status();

  EXPECT_EQ(Text(GetItem(pool, 26, WithTimeout(kPatience))), "id 26")
      << "a call with time to spare is refused as if the database were down";
}

// A call cancelled by its client while its fresh connection prepares the
// statements (PREPARE waits for the table lock as a query does) ends with
// CANCELLED, as the same cancel during the query does
// (CancelledCallStopsItsQueryAndKeepsTheConnection), not DEADLINE_EXCEEDED:
// its deadline is far off.
TEST_F(ConnectionPoolTest, CancelledWhilePreparingIsCancelledToo) {
  ConnectionPool pool(Config(1));  // Not warmed: the call connects, prepares.
  Lock();
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  BackgroundCall call(pool, 25, Cancellable(cancelled, kPatience * 2));
  ASSERT_TRUE(QueriesBlockedOnTheLock(1));

  cancelled->store(true);
  ASSERT_TRUE(call.Wait());
  EXPECT_TRUE(absl::IsCancelled(call.result().status()))
      << call.result().status();
  Unlock();
  EXPECT_EQ(Text(GetItem(pool, 26, WithTimeout(kPatience))), "id 26");
}

// Its own cluster, which it stops and starts again.
TEST(ConnectionPoolOutageTest, StoppedDatabaseFailsFastThenServesAfterBackoff) {
  auto cluster = PostgresCluster::StartPrivate();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  DbPoolConfig config;
  config.db = {.conninfo = UriWithLockTimeout((*cluster)->uri()),
               .application_name = "connection_pool_outage_test"};
  config.size = 2;
  config.reconnect_backoff = absl::Seconds(3);
  ConnectionPool pool(config);
  pool.Warm(absl::Now() + kPatience);
  ASSERT_EQ(Text(GetItem(pool, 25, WithTimeout(kPatience))), "id 25");

  ASSERT_TRUE((*cluster)->Stop().ok());
  // The pooled connection is dead and so is the retry on a fresh one.
  const absl::Time first_failure = absl::Now();
  absl::StatusOr<int64_t> down = GetItem(pool, 25, WithTimeout(kPatience));
  EXPECT_TRUE(absl::IsUnavailable(down.status())) << down.status();
  EXPECT_LT(absl::Now() - first_failure, absl::Seconds(1));
  // Within the backoff calls keep failing fast.
  const absl::Time second = absl::Now();
  down = GetItem(pool, 25, WithTimeout(kPatience));
  EXPECT_TRUE(absl::IsUnavailable(down.status())) << down.status();
  EXPECT_LT(absl::Now() - second, absl::Milliseconds(500));

  ASSERT_TRUE((*cluster)->Restart().ok());
  // Usually: then the wait below is the backoff's, not the restart's.
  const bool restarted_within_backoff =
      absl::Now() < first_failure + config.reconnect_backoff;
  RecordProperty("restarted_within_backoff", restarted_within_backoff);
  absl::StatusOr<int64_t> back;
  ASSERT_TRUE(WaitFor(
      [&] {
        back = GetItem(pool, 25, WithTimeout(kPatience));
        EXPECT_TRUE(back.ok() || absl::IsUnavailable(back.status()))
            << back.status();
        return back.ok();
      },
      kPatience * 3))
      << back.status();
  // Not before the backoff that followed the first failed reconnect.
  EXPECT_GE(absl::Now(), first_failure + config.reconnect_backoff)
      << "restarted within the backoff: " << restarted_within_backoff;
  EXPECT_EQ(Text(back), "id 25");
  EXPECT_EQ(Text(GetItem(pool, 26, WithTimeout(kPatience))), "id 26");
}

}  // namespace
}  // namespace asyncgrpc::sync
