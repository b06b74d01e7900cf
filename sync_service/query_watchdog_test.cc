// QueryWatchdog against a real PostgreSQL (a private cluster: the tests lock
// the items table so that queries block). Proves that a watched query is
// cancelled on the server (SQLSTATE 57014, "due to user request") soon after
// its deadline passes or its is_cancelled() turns true, and not before; that
// a query that finishes in time is never cancelled and its connection runs
// the next query undisturbed; and that once a Watch is destroyed no cancel is
// sent for it any more. "No later cancel" is checked with a canary: a query
// on another connection whose deadline comes after the one that must not
// fire; once the canary has been cancelled, the watcher is past that point.
#include "sync_service/query_watchdog.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/pg_connection.h"
#include "gtest/gtest.h"
#include "libpq-fe.h"
#include "tests/support/locked_items_test.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/wait.h"

namespace asyncgrpc::sync {
namespace {

using ::asyncgrpc::testing::HeldConnection;
using ::asyncgrpc::testing::LockedItemsTest;
using ::asyncgrpc::testing::UriWithLockTimeout;
using ::asyncgrpc::testing::WaitFor;

// Bounds every wait of a test for something that should happen promptly.
constexpr absl::Duration kPatience = absl::Seconds(10);
// A query that waits for the lock on items when the test holds it.
constexpr char kBlockingSql[] = "SELECT count(*) FROM items";
constexpr char kQueryCanceled[] = "57014";

struct CancelDeleter {
  void operator()(PGcancel* cancel) const { PQfreeCancel(cancel); }
};
using CancelPtr = std::unique_ptr<PGcancel, CancelDeleter>;

// How a query ended: its result status and SQLSTATE ("" if none).
struct Outcome {
  ExecStatusType status = PGRES_FATAL_ERROR;
  std::string sqlstate;
  std::string message;
};

Outcome Exec(PGconn* conn, const char* sql) {
  PgResultPtr result(PQexec(conn, sql));
  Outcome outcome;
  outcome.status = PQresultStatus(result.get());
  const char* sqlstate = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
  outcome.sqlstate = sqlstate == nullptr ? "" : sqlstate;
  outcome.message = PQresultErrorMessage(result.get());
  return outcome;
}

// A PQexec on a thread of its own, so that the test can act while it blocks.
class BackgroundQuery {
 public:
  BackgroundQuery(PGconn* conn, const char* sql)
      : thread_([this, conn, sql] {
          outcome_ = Exec(conn, sql);
          finished_ = absl::Now();
          done_.Notify();
        }) {}
  BackgroundQuery(const BackgroundQuery&) = delete;
  BackgroundQuery& operator=(const BackgroundQuery&) = delete;
  ~BackgroundQuery() { thread_.join(); }

  bool Wait(absl::Duration timeout = kPatience) {
    return done_.WaitForNotificationWithTimeout(timeout);
  }
  bool Done() const { return done_.HasBeenNotified(); }
  // Only after Wait() returned true.
  const Outcome& outcome() const { return outcome_; }
  absl::Time finished() const { return finished_; }

 private:
  Outcome outcome_;
  absl::Time finished_;
  absl::Notification done_;
  std::thread thread_;
};

// An is_cancelled() that counts its polls and turns true when told.
struct CancelFlag {
  std::shared_ptr<std::atomic<bool>> cancelled =
      std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<std::atomic<int>> polls =
      std::make_shared<std::atomic<int>>(0);

  std::function<bool()> Poll() const {
    return [cancelled = cancelled, polls = polls] {
      polls->fetch_add(1);
      return cancelled->load();
    };
  }
};

// One cluster for the suite.
class QueryWatchdogTest : public LockedItemsTest {
 protected:
  // A connection for watched queries, with its cancel handle. Its
  // lock_timeout makes a query the watchdog fails to cancel end anyway, with
  // SQLSTATE 55P03 rather than 57014, instead of hanging the test.
  PGconn* Connect() {
    const DbOptions options = {.conninfo = UriWithLockTimeout(cluster().uri()),
                               .application_name = "query_watchdog_test"};
    absl::StatusOr<PgConnPtr> conn =
        ConnectWithin(options, absl::Now() + kPatience);
    EXPECT_TRUE(conn.ok()) << conn.status();
    if (!conn.ok()) return nullptr;
    cancels_.emplace_back(PQgetCancel(conn->get()));
    conns_.push_back(*std::move(conn));
    return conns_.back().get();
  }
  PGcancel* CancelOf(PGconn* conn) {
    for (size_t i = 0; i < conns_.size(); ++i) {
      if (conns_[i].get() == conn) return cancels_[i].get();
    }
    return nullptr;
  }

  // Whether `conn`'s query waits for a lock on the server right now.
  bool WaitsForLock(PGconn* conn) {
    auto rows = observer().Query(
        absl::StrCat("SELECT count(*) FROM pg_stat_activity WHERE pid = ",
                     PQbackendPID(conn), " AND wait_event_type = 'Lock'"));
    return rows.ok() && (*rows)[0][0] == "1";
  }
  bool BecomesBlocked(PGconn* conn) {
    return WaitFor([&] { return WaitsForLock(conn); }, kPatience);
  }

  // Cancels a canary query (on a connection of its own, blocked on the lock)
  // by a deadline at `deadline` and waits for that, so that the watcher has
  // done everything that was due before `deadline`.
  void WaitForCanaryCancelledAt(QueryWatchdog& watchdog, absl::Time deadline) {
    PGconn* canary = Connect();
    ASSERT_NE(canary, nullptr);
    BackgroundQuery query(canary, kBlockingSql);
    ASSERT_TRUE(BecomesBlocked(canary));
    QueryWatchdog::Watch watch =
        watchdog.Start(CancelOf(canary), deadline, [] { return false; });
    ASSERT_TRUE(query.Wait());
    EXPECT_EQ(query.outcome().sqlstate, kQueryCanceled);
    EXPECT_TRUE(watch.Fired());
  }

  // The connections of Connect() and their cancel handles.
  std::vector<CancelPtr> cancels_;
  std::vector<PgConnPtr> conns_;
};

TEST_F(QueryWatchdogTest, QueryBlockedPastItsDeadlineIsCancelled) {
  QueryWatchdog watchdog;
  PGconn* conn = Connect();
  ASSERT_NE(conn, nullptr);
  Lock();

  const absl::Time start = absl::Now();
  QueryWatchdog::Watch watch = watchdog.Start(
      CancelOf(conn), start + absl::Milliseconds(500), [] { return false; });
  const Outcome outcome = Exec(conn, kBlockingSql);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(outcome.status, PGRES_FATAL_ERROR);
  EXPECT_EQ(outcome.sqlstate, kQueryCanceled) << outcome.message;
  EXPECT_TRUE(absl::StrContains(outcome.message, "user request"))
      << outcome.message;
  EXPECT_TRUE(watch.Fired());
  EXPECT_GE(took, absl::Milliseconds(500));
  EXPECT_LT(took, absl::Seconds(2)) << "cancelled soon after the deadline";

  Unlock();
  EXPECT_EQ(Exec(conn, kBlockingSql).status, PGRES_TUPLES_OK);
}

TEST_F(QueryWatchdogTest, CancelledCallCancelsItsQuery) {
  QueryWatchdog watchdog;
  PGconn* conn = Connect();
  ASSERT_NE(conn, nullptr);
  Lock();
  CancelFlag flag;
  QueryWatchdog::Watch watch =
      watchdog.Start(CancelOf(conn), absl::InfiniteFuture(), flag.Poll());
  BackgroundQuery query(conn, kBlockingSql);
  ASSERT_TRUE(BecomesBlocked(conn));
  // Polled, and while it says no the query is left alone.
  ASSERT_TRUE(WaitFor([&] { return flag.polls->load() >= 3; }, kPatience));
  EXPECT_FALSE(query.Done());
  EXPECT_FALSE(watch.Fired());
  EXPECT_TRUE(WaitsForLock(conn));

  const absl::Time cancel_time = absl::Now();
  flag.cancelled->store(true);
  ASSERT_TRUE(query.Wait());
  EXPECT_EQ(query.outcome().sqlstate, kQueryCanceled)
      << query.outcome().message;
  EXPECT_LT(query.finished() - cancel_time, absl::Seconds(1));
  EXPECT_TRUE(watch.Fired());
  // Cancelled once: the flag is not polled again.
  const int polls = flag.polls->load();
  Unlock();
  EXPECT_EQ(Exec(conn, kBlockingSql).status, PGRES_TUPLES_OK);
  EXPECT_EQ(flag.polls->load(), polls);
}

TEST_F(QueryWatchdogTest, QueryFinishedInTimeIsNeverCancelled) {
  QueryWatchdog watchdog;
  PGconn* conn = Connect();
  ASSERT_NE(conn, nullptr);
  const absl::Time deadline = absl::Now() + absl::Seconds(1);
  {
    QueryWatchdog::Watch watch =
        watchdog.Start(CancelOf(conn), deadline, [] { return false; });
    EXPECT_EQ(Exec(conn, kBlockingSql).status, PGRES_TUPLES_OK);
    EXPECT_FALSE(watch.Fired());
  }
  // The next query on the connection is still running when the finished
  // one's deadline passes.
  Lock();
  BackgroundQuery next(conn, kBlockingSql);
  ASSERT_TRUE(BecomesBlocked(conn));
  ASSERT_LT(absl::Now(), deadline) << "too slow to test anything";
  WaitForCanaryCancelledAt(watchdog, deadline + absl::Milliseconds(200));
  EXPECT_FALSE(next.Done()) << next.outcome().message;
  EXPECT_TRUE(WaitsForLock(conn));

  Unlock();
  ASSERT_TRUE(next.Wait());
  EXPECT_EQ(next.outcome().status, PGRES_TUPLES_OK) << next.outcome().message;
}

TEST_F(QueryWatchdogTest, DestroyedWatchSendsNoLaterCancel) {
  QueryWatchdog watchdog;
  PGconn* conn = Connect();
  ASSERT_NE(conn, nullptr);
  Lock();
  BackgroundQuery query(conn, kBlockingSql);
  ASSERT_TRUE(BecomesBlocked(conn));
  const absl::Time deadline = absl::Now() + absl::Seconds(1);
  CancelFlag flag;
  {
    QueryWatchdog::Watch watch =
        watchdog.Start(CancelOf(conn), deadline, flag.Poll());
    EXPECT_FALSE(watch.Fired());
  }
  const int polls = flag.polls->load();
  flag.cancelled->store(true);  // Would cancel the query if still polled.

  WaitForCanaryCancelledAt(watchdog, deadline + absl::Milliseconds(200));
  EXPECT_EQ(flag.polls->load(), polls) << "polled after the Watch was gone";
  EXPECT_FALSE(query.Done()) << query.outcome().message;
  EXPECT_TRUE(WaitsForLock(conn));

  Unlock();
  ASSERT_TRUE(query.Wait());
  EXPECT_EQ(query.outcome().status, PGRES_TUPLES_OK) << query.outcome().message;
}

}  // namespace
}  // namespace asyncgrpc::sync
