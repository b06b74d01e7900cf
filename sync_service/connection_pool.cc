#include "sync_service/connection_pool.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/pg_errors.h"

namespace asyncgrpc::sync {
namespace {

// How often a waiting call looks for its own cancellation.
constexpr absl::Duration kWaitPollInterval = absl::Milliseconds(20);

// The status of a call whose database work the watchdog stopped (`doing`):
// its deadline passed, or else its client cancelled it.
absl::Status EndedEarly(const CallContext& call, absl::string_view doing) {
  if (absl::Now() < call.deadline) {
    return absl::CancelledError(
        absl::StrCat("call cancelled while ", doing, "; it was stopped"));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("deadline exceeded while ", doing, "; it was cancelled"));
}

}  // namespace

ConnectionPool::ConnectionPool(DbPoolConfig config)
    : config_(std::move(config)), slots_(config_.size) {
  absl::MutexLock lock(&mu_);
  for (int i = config_.size - 1; i >= 0; --i) {
    free_slots_.push_back(i);
  }
}

absl::StatusOr<int> ConnectionPool::AcquireSlot(const CallContext& call) {
  const absl::Time give_up =
      ConnectionWaitDeadline(call.deadline, config_.acquire_timeout);
  absl::MutexLock lock(&mu_);
  if (free_slots_.empty()) {
    ++waiting_;
    const absl::Status waited = WaitForFreeSlot(call, give_up);
    --waiting_;
    if (!waited.ok()) {
      return waited;
    }
  }
  const int index = free_slots_.back();
  free_slots_.pop_back();
  return index;
}

absl::Status ConnectionPool::WaitForFreeSlot(const CallContext& call,
                                             absl::Time give_up) {
  // is_cancelled() is costly (gRPC plucks the call's completion queue: a
  // futex syscall) and most waits are far shorter than kWaitPollInterval, so
  // a call looks for its cancellation once per interval of waiting, not on
  // every wake-up. A call cancelled in its last interval may still run its
  // query; the watchdog stops it within the same interval.
  absl::Time next_poll = absl::Now() + kWaitPollInterval;
  while (true) {
    if (draining_) {
      return absl::UnavailableError("the server is shutting down");
    }
    const absl::Time now = absl::Now();
    if (now >= next_poll) {
      // Also when a slot is free: one freed just as the client gave up is
      // not spent on a call that has ended.
      if (call.is_cancelled()) {
        return absl::CancelledError(
            "call cancelled while waiting for a database connection");
      }
      next_poll = now + kWaitPollInterval;
    }
    if (!free_slots_.empty()) {
      return absl::OkStatus();
    }
    if (now >= give_up) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "no database connection became free in time (pool of ", config_.size,
          "); raise --db_pool_size or the call's deadline"));
    }
    slot_freed_.WaitWithDeadline(&mu_, std::min(give_up, next_poll));
  }
}

void ConnectionPool::StopWaiters() {
  {
    absl::MutexLock lock(&mu_);
    draining_ = true;
  }
  slot_freed_.SignalAll();
}

void ConnectionPool::ReleaseSlot(int index) {
  {
    absl::MutexLock lock(&mu_);
    free_slots_.push_back(index);
  }
  slot_freed_.Signal();
}

void ConnectionPool::CloseSlot(Slot& slot) {
  slot.open.store(false, std::memory_order_relaxed);
  slot.cancel.reset();
  slot.conn.reset();
}

absl::Status ConnectionPool::Connect(Slot& slot, const CallContext& call) {
  {
    absl::MutexLock lock(&mu_);
    if (absl::Now() < reconnect_not_before_) {
      return last_connect_error_;
    }
  }
  const absl::Time deadline =
      std::min(call.deadline, absl::Now() + config_.connect_timeout);
  absl::StatusOr<PgConnPtr> conn = ConnectWithin(config_.db, deadline);
  if (!conn.ok() && absl::Now() >= call.deadline) {
    // The call ran out of time, not the database: no backoff for the others.
    return absl::DeadlineExceededError(
        "deadline exceeded while connecting to the database");
  }
  if (!conn.ok()) {
    absl::MutexLock lock(&mu_);
    reconnect_not_before_ = absl::Now() + config_.reconnect_backoff;
    last_connect_error_ = conn.status();
    return conn.status();
  }
  {
    absl::MutexLock lock(&mu_);
    reconnect_not_before_ = absl::InfinitePast();
  }
  slot.conn = *std::move(conn);
  slot.open.store(true, std::memory_order_relaxed);
  slot.cancel.reset(PQgetCancel(slot.conn.get()));
  if (!config_.connect_per_request) {
    // Preparing takes a lock on the table, so it can wait as long as a query.
    QueryWatchdog::Watch watch =
        watchdog_.Start(slot.cancel.get(), call.deadline, call.is_cancelled);
    if (absl::Status status = PrepareStatements(slot.conn.get());
        !status.ok()) {
      CloseSlot(slot);
      return watch.Fired() ? EndedEarly(call, "preparing statements") : status;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PgResultPtr> ConnectionPool::RunQuery(Slot& slot,
                                                     const BoundQuery& query,
                                                     const CallContext& call) {
  PGconn* conn = slot.conn.get();
  QueryWatchdog::Watch watch =
      watchdog_.Start(slot.cancel.get(), call.deadline, call.is_cancelled);
  const Statement& statement = *query.statement;
  PgResultPtr result(
      config_.connect_per_request
          ? PQexecParams(conn, statement.sql, query.param_count,
                         statement.param_types.data(), query.values.data(),
                         query.lengths.data(), query.formats.data(),
                         kBinaryFormat)
          : PQexecPrepared(conn, statement.name, query.param_count,
                           query.values.data(), query.lengths.data(),
                           query.formats.data(), kBinaryFormat));
  absl::Status status = StatusFromResult(result.get(), conn);
  if (status.ok()) {
    return result;
  }
  if (watch.Fired() && absl::IsDeadlineExceeded(status)) {
    return EndedEarly(call, "the query ran");
  }
  return status;
}

void ConnectionPool::Warm(absl::Time deadline) {
  if (config_.connect_per_request) {
    return;
  }
  const CallContext call = {.deadline = deadline};
  for (Slot& slot : slots_) {
    if (slot.conn == nullptr && !Connect(slot, call).ok()) {
      return;
    }
  }
}

absl::StatusOr<PgResultPtr> ConnectionPool::Execute(const BoundQuery& query,
                                                    const CallContext& call) {
  absl::StatusOr<int> index = AcquireSlot(call);
  if (!index.ok()) {
    return index.status();
  }
  Slot& slot = slots_[*index];
  absl::StatusOr<PgResultPtr> result;
  // A pooled connection may be stale after a database restart: one retry on a
  // fresh connection (the statements are read-only, so running one twice is
  // harmless).
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool fresh = slot.conn == nullptr;
    if (fresh) {
      if (absl::Status status = Connect(slot, call); !status.ok()) {
        result = status;
        break;
      }
    }
    result = RunQuery(slot, query, call);
    if (config_.connect_per_request ||
        (!result.ok() && IsConnectionFailure(result.status()))) {
      CloseSlot(slot);
    }
    if (result.ok() || !IsConnectionFailure(result.status()) || fresh) {
      break;
    }
  }
  ReleaseSlot(*index);
  return result;
}

DbPoolStats ConnectionPool::Stats() {
  std::vector<bool> free(slots_.size(), false);
  DbPoolStats stats;
  {
    absl::MutexLock lock(&mu_);
    for (const int index : free_slots_) {
      free[index] = true;
    }
    stats.waiting = waiting_;
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].open.load(std::memory_order_relaxed)) {
      ++(free[i] ? stats.idle : stats.in_use);
    }
  }
  // One query at a time per connection.
  stats.in_flight = stats.in_use;
  return stats;
}

}  // namespace asyncgrpc::sync
