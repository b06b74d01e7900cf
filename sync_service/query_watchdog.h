// Bounds blocking queries: a watcher thread sends PostgreSQL a cancel request
// for any watched query whose call passed its deadline or was cancelled by the
// client, so the handler thread blocked in libpq returns and its connection
// goes back to the pool.
//
// A query that ends before its deadline and before the first cancellation
// poll costs two uncontended lock round trips and no wake-up of the watcher:
// gRPC's ServerContext::IsCancelled() is a completion-queue pluck (a futex
// syscall), and a per-query wake-up is a context switch, which at thousands
// of queries a second were most of the service's CPU.
//
//   QueryWatchdog watchdog;
//   {
//     QueryWatchdog::Watch watch =
//         watchdog.Start(cancel, deadline, is_cancelled);
//     PQexecPrepared(...);  // returns early with SQLSTATE 57014 if cancelled
//   }
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libpq-fe.h"

namespace asyncgrpc::sync {

class QueryWatchdog {
 public:
  // Registration of one running query; ends it on destruction. Once destroyed,
  // no cancel request is sent for that query any more, so the connection can
  // safely run the next one.
  class Watch {
   public:
    Watch(Watch&& other) noexcept
        : watchdog_(std::exchange(other.watchdog_, nullptr)), id_(other.id_) {}
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;
    ~Watch();

    // True once the watchdog has sent a cancel request for this query.
    bool Fired() const;

   private:
    friend class QueryWatchdog;
    Watch(QueryWatchdog* watchdog, uint64_t id)
        : watchdog_(watchdog), id_(id) {}
    QueryWatchdog* watchdog_;
    uint64_t id_;
  };

  // How often client cancellations are looked for while queries run; the
  // first look is this long after the query starts.
  static constexpr absl::Duration kCancelPollInterval = absl::Milliseconds(20);

  QueryWatchdog();
  ~QueryWatchdog();
  QueryWatchdog(const QueryWatchdog&) = delete;
  QueryWatchdog& operator=(const QueryWatchdog&) = delete;

  // `cancel` must outlive the Watch. `is_cancelled` is polled from the watchdog
  // thread.
  Watch Start(PGcancel* cancel, absl::Time deadline,
              std::function<bool()> is_cancelled);

 private:
  struct Entry {
    PGcancel* cancel;
    absl::Time deadline;
    std::function<bool()> is_cancelled;
    // When is_cancelled is next polled.
    absl::Time next_poll;
    bool fired = false;
  };

  void Run();
  // Cancels the queries that are due and returns when the next one may be.
  absl::Time CancelDueQueries() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void End(uint64_t id);
  bool Fired(uint64_t id) const;

  mutable absl::Mutex mu_;
  std::map<uint64_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // When the watcher looks next (InfiniteFuture while it has nothing to
  // watch): Start() wakes it only for a query due before that.
  absl::Time wake_at_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  absl::CondVar wake_;
  std::thread thread_;
};

}  // namespace asyncgrpc::sync
