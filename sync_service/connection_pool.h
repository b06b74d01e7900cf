// A fixed-size pool of blocking libpq connections with prepared statements, for
// handler threads that wait on the database. A call waits for a free connection
// no longer than its deadline allows (then RESOURCE_EXHAUSTED), its query is
// cancelled when the call ends early, and a lost database makes calls fail fast
// with UNAVAILABLE until a reconnect succeeds.
//
//   ConnectionPool pool(config.pool);
//   pool.Warm(absl::Now() + config.pool.connect_timeout);
//   absl::StatusOr<PgResultPtr> result =
//       pool.Execute(query, {.deadline = ..., .is_cancelled = ...});
//   DbPoolStats stats = pool.Stats();  // for /metrics, from any thread
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "common/pg_connection.h"
#include "common/queries.h"
#include "common/service_config.h"
#include "sync_service/query_watchdog.h"

namespace asyncgrpc::sync {

// What the pool needs to know of the RPC it works for.
struct CallContext {
  absl::Time deadline = absl::InfiniteFuture();
  // Polled while waiting; true once the client cancelled or the server is
  // shutting the call down.
  std::function<bool()> is_cancelled = [] { return false; };
};

class ConnectionPool {
 public:
  explicit ConnectionPool(DbPoolConfig config);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Opens every connection now rather than on first use, so the first calls do
  // not pay for connecting and preparing. Failures are left for calls to retry.
  void Warm(absl::Time deadline);

  // From now on, calls waiting for a connection (and new ones that would wait)
  // fail with UNAVAILABLE; running queries finish.
  void StopWaiters();

  // Runs `query` and returns its PGRES_TUPLES_OK result, or the reason it could
  // not.
  absl::StatusOr<PgResultPtr> Execute(const BoundQuery& query,
                                      const CallContext& call);

  // The pool right now, for the metrics gauges: open connections held by a
  // call (in_use, also the queries in flight: one each) or free (idle), and
  // the calls waiting for one. Thread-safe; takes the pool's lock briefly.
  DbPoolStats Stats();

 private:
  struct CancelDeleter {
    void operator()(PGcancel* cancel) const { PQfreeCancel(cancel); }
  };
  // Touched only by the thread that holds the slot, but `open`, which Stats()
  // reads.
  struct Slot {
    PgConnPtr conn;
    std::unique_ptr<PGcancel, CancelDeleter> cancel;
    // conn != nullptr, for Stats().
    std::atomic<bool> open{false};
  };

  absl::StatusOr<int> AcquireSlot(const CallContext& call);
  // Waits until a slot is free, the call is cancelled, or `give_up`.
  absl::Status WaitForFreeSlot(const CallContext& call, absl::Time give_up)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the slot's connection (held slot only).
  static void CloseSlot(Slot& slot);
  void ReleaseSlot(int index);
  absl::Status Connect(Slot& slot, const CallContext& call);
  absl::StatusOr<PgResultPtr> RunQuery(Slot& slot, const BoundQuery& query,
                                       const CallContext& call);

  const DbPoolConfig config_;
  QueryWatchdog watchdog_;
  std::vector<Slot> slots_;

  absl::Mutex mu_;
  absl::CondVar slot_freed_;
  std::vector<int> free_slots_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  // Calls inside WaitForFreeSlot.
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time reconnect_not_before_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Status last_connect_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace asyncgrpc::sync
