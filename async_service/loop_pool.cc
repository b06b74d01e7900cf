#include "async_service/loop_pool.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/pg_errors.h"
#include "common/service_config.h"

namespace asyncgrpc::async {

LoopPool::LoopPool(EventLoop& loop, Canceller& canceller, Options options)
    : loop_(loop),
      canceller_(canceller),
      options_(std::move(options)),
      connections_(options_.connections) {
  for (Connection& c : connections_) {
    c.backoff = options_.pool.reconnect_backoff;
  }
}

void LoopPool::Start() {
  if (options_.pool.connect_per_request) {
    return;
  }
  for (int i = 0; i < static_cast<int>(connections_.size()); ++i) {
    StartConnect(i);
  }
}

int LoopPool::ReadyConnections() const {
  return static_cast<int>(std::count_if(
      connections_.begin(), connections_.end(),
      [](const Connection& c) { return c.state == State::kReady; }));
}

DbPoolStats LoopPool::Stats() const {
  DbPoolStats stats;
  stats.waiting = queued_;
  for (const Connection& c : connections_) {
    if (c.state != State::kReady && c.state != State::kPreparing) {
      continue;
    }
    ++(c.queries > 0 ? stats.in_use : stats.idle);
    stats.in_flight += c.queries;
  }
  return stats;
}

void LoopPool::Submit(std::shared_ptr<DbRequest> request,
                      absl::Duration delay) {
  if (request->IsComplete()) {
    return;
  }
  if (delay <= absl::ZeroDuration()) {
    Enqueue(std::move(request));
    return;
  }
  DbRequest* raw = request.get();
  raw->timer = loop_.RunAt(absl::Now() + delay, [this, request] {
    request->timer = 0;
    Enqueue(request);
  });
}

void LoopPool::Enqueue(std::shared_ptr<DbRequest> request) {
  if (request->IsComplete()) {
    return;
  }
  if (absl::Now() < fail_fast_until_ && ReadyConnections() == 0) {
    Finish(*request, last_connect_error_);
    return;
  }
  if (stopped_waiters_ && (queued_ > 0 || PickConnection() < 0)) {
    Finish(*request, absl::UnavailableError("the server is shutting down"));
    return;
  }
  if (queued_ >= options_.max_pending) {
    Finish(*request, absl::ResourceExhaustedError(absl::StrCat(
                         "too many calls waiting for a database connection (",
                         queued_, " queued; --max_pending)")));
    return;
  }
  request->queued = true;
  ++queued_;
  queue_.push_back(request);
  Pump();
  // Only a request left waiting needs a timer to give up by: most go out at
  // once, and a timer armed and cancelled per call is two map updates wasted.
  // (A request requeued in the meantime already has one.)
  if (request->queued && request->timer == 0) {
    ArmQueueTimer(request);
  }
}

void LoopPool::Requeue(std::shared_ptr<DbRequest> request) {
  loop_.CancelTimer(request->timer);
  request->connection = -1;
  request->queued = true;
  ++queued_;
  ArmQueueTimer(request);
  queue_.push_front(std::move(request));
}

void LoopPool::ArmQueueTimer(const std::shared_ptr<DbRequest>& request) {
  const absl::Time give_up =
      ConnectionWaitDeadline(request->deadline, options_.pool.acquire_timeout);
  request->timer = loop_.RunAt(give_up, [this, request] {
    request->timer = 0;
    if (request->queued) {
      request->queued = false;
      --queued_;
      Finish(*request,
             absl::ResourceExhaustedError(absl::StrCat(
                 "no database connection became free in time (pool of ",
                 options_.pool.size,
                 "); raise --db_pool_size or the call's "
                 "deadline")));
    }
  });
}

int LoopPool::PickConnection() const {
  int best = -1;
  for (int i = 0; i < static_cast<int>(connections_.size()); ++i) {
    const Connection& c = connections_[i];
    const bool has_room =
        options_.pool.connect_per_request
            ? c.state == State::kIdle
            : c.state == State::kReady && c.queries < options_.pipeline_depth;
    if (!has_room) {
      continue;
    }
    // Fill the batch this turn has begun before opening another: PostgreSQL
    // answers a batch with one write (it flushes at each sync), so queries
    // sharing a sync cost it far less than one sync each. (Sending to idle
    // connections first measured slower: docs/performance.md. The price is
    // that a query that waits holds up its batch.)
    if (c.unsynced > 0) {
      return i;
    }
    if (best < 0 || c.queries < connections_[best].queries) {
      best = i;
    }
  }
  return best;
}

void LoopPool::Pump() {
  while (queued_ > 0) {
    const int best = PickConnection();
    if (best < 0) {
      return;
    }
    while (!queue_.empty() && !queue_.front()->queued) {
      queue_.pop_front();  // completed while queued
    }
    if (queue_.empty()) {
      return;
    }
    std::shared_ptr<DbRequest> request = std::move(queue_.front());
    queue_.pop_front();
    request->queued = false;
    --queued_;
    if (request->cancel_requested) {
      Finish(*request, absl::CancelledError("call cancelled"));
      continue;
    }
    Dispatch(best, std::move(request));
  }
}

void LoopPool::Dispatch(int index, std::shared_ptr<DbRequest> request) {
  loop_.CancelTimer(request->timer);
  request->timer = 0;
  if (request->deadline != absl::InfiniteFuture()) {
    request->timer = loop_.RunAt(request->deadline, [this, request] {
      request->timer = 0;
      Cancel(request, absl::DeadlineExceededError(
                          "deadline exceeded while the query ran; it was "
                          "cancelled"));
    });
  }
  request->connection = index;
  ++request->attempts;
  Connection& c = connections_[index];
  c.in_flight.push_back({Pending::Kind::kQuery, request});
  ++c.queries;
  if (options_.pool.connect_per_request) {
    StartConnect(index);  // sends once connected
    return;
  }
  if (SendQuery(index, *request)) {
    ++c.unsynced;
    ScheduleSync();
  }
}

bool LoopPool::SendQuery(int index, const DbRequest& request) {
  Connection& c = connections_[index];
  const BoundQuery& query = request.query;
  const Statement& statement = *query.statement;
  const int sent =
      options_.pool.connect_per_request
          ? PQsendQueryParams(c.conn.get(), statement.sql, query.param_count,
                              statement.param_types.data(), query.values.data(),
                              query.lengths.data(), query.formats.data(),
                              kBinaryFormat)
          : PQsendQueryPrepared(c.conn.get(), statement.name, query.param_count,
                                query.values.data(), query.lengths.data(),
                                query.formats.data(), kBinaryFormat);
  if (sent == 0) {
    ConnectionLost(index, StatusFromResult(nullptr, c.conn.get()));
    return false;
  }
  return true;
}

void LoopPool::SyncAndFlush(int index) {
  Connection& c = connections_[index];
  c.unsynced = 0;
  // An error aborts the rest of its batch (PGRES_PIPELINE_ABORTED): those
  // queries never ran and are sent again.
  if (PQpipelineSync(c.conn.get()) == 0) {
    ConnectionLost(index, DatabaseStatus(index));
    return;
  }
  c.in_flight.push_back({Pending::Kind::kSync, nullptr});
  Flush(index);
}

void LoopPool::ScheduleSync() {
  if (!sync_scheduled_) {
    sync_scheduled_ = true;
    loop_.Defer([this] {
      sync_scheduled_ = false;
      SyncAll();
    });
  }
}

void LoopPool::SyncAll() {
  for (int i = 0; i < static_cast<int>(connections_.size()); ++i) {
    if (connections_[i].unsynced > 0 && connections_[i].conn != nullptr) {
      SyncAndFlush(i);
    }
  }
}

std::vector<std::shared_ptr<DbRequest>> LoopPool::CloseAndTakeQueries(
    int index) {
  std::vector<std::shared_ptr<DbRequest>> requests;
  for (Pending& pending : connections_[index].in_flight) {
    if (pending.kind == Pending::Kind::kQuery) {
      requests.push_back(std::move(pending.request));
    }
  }
  CloseConnection(index);
  return requests;
}

void LoopPool::Finish(DbRequest& request, absl::StatusOr<PgResultPtr> result) {
  loop_.CancelTimer(request.timer);
  request.timer = 0;
  request.Complete(std::move(result));
}

void LoopPool::Cancel(const std::shared_ptr<DbRequest>& request,
                      absl::Status why) {
  if (request->IsComplete()) {
    return;
  }
  if (request->queued) {
    request->queued = false;
    --queued_;
  }
  Finish(*request, std::move(why));
  // Only a running query needs stopping; one further back is dropped when its
  // result comes.
  if (request->connection >= 0 &&
      HeadQuery(connections_[request->connection]) == request.get()) {
    CancelHeadIfAbandoned(request->connection);
  }
}

void LoopPool::StopWaiters() {
  stopped_waiters_ = true;
  FailQueued(absl::UnavailableError("the server is shutting down"));
}

void LoopPool::FailQueued(const absl::Status& why) {
  for (const std::shared_ptr<DbRequest>& request : queue_) {
    if (request->queued) {
      request->queued = false;
      Finish(*request, why);
    }
  }
  queue_.clear();
  queued_ = 0;
}

void LoopPool::Close(const absl::Status& why) {
  FailQueued(why);
  for (int i = 0; i < static_cast<int>(connections_.size()); ++i) {
    Connection& c = connections_[i];
    loop_.CancelTimer(c.timer);
    c.timer = 0;
    for (const std::shared_ptr<DbRequest>& request : CloseAndTakeQueries(i)) {
      Finish(*request, why);
    }
  }
}

}  // namespace asyncgrpc::async
