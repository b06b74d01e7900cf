#include "async_service/db_shard.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/pg_errors.h"

namespace asyncgrpc::async {
namespace {

constexpr absl::Duration kMaxReconnectBackoff = absl::Seconds(1);

bool IsCancelledQuery(const absl::Status& status) {
  return absl::IsDeadlineExceeded(status);
}

}  // namespace

DbShard::DbShard(EventLoop& loop, Canceller& canceller, ShardOptions options)
    : loop_(loop),
      canceller_(canceller),
      options_(std::move(options)),
      connections_(options_.connections) {
  for (Connection& c : connections_) {
    c.backoff = options_.pool.reconnect_backoff;
  }
}

void DbShard::Start() {
  if (options_.pool.connect_per_request) {
    return;
  }
  for (int i = 0; i < static_cast<int>(connections_.size()); ++i) {
    StartConnect(i);
  }
}

int DbShard::ReadyConnections() const {
  return static_cast<int>(std::count_if(
      connections_.begin(), connections_.end(),
      [](const Connection& c) { return c.state == State::kReady; }));
}

DbPoolStats DbShard::Stats() const {
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

// ------------------------------------------------------------------ requests

void DbShard::Submit(std::shared_ptr<DbRequest> request, absl::Duration delay) {
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

void DbShard::Enqueue(std::shared_ptr<DbRequest> request) {
  if (request->IsComplete()) {
    return;
  }
  if (absl::Now() < fail_fast_until_ && ReadyConnections() == 0) {
    Finish(*request, last_connect_error_);
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

void DbShard::Requeue(std::shared_ptr<DbRequest> request) {
  loop_.CancelTimer(request->timer);
  request->connection = -1;
  request->queued = true;
  ++queued_;
  ArmQueueTimer(request);
  queue_.push_front(std::move(request));
}

void DbShard::ArmQueueTimer(const std::shared_ptr<DbRequest>& request) {
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

int DbShard::PickConnection() const {
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
    // connections first instead cost 10-25% of GetItem calls/s; the price is
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

void DbShard::Pump() {
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

void DbShard::Dispatch(int index, std::shared_ptr<DbRequest> request) {
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

bool DbShard::SendQuery(int index, const DbRequest& request) {
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

void DbShard::SyncAndFlush(int index) {
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

void DbShard::ScheduleSync() {
  if (!sync_scheduled_) {
    sync_scheduled_ = true;
    loop_.Defer([this] {
      sync_scheduled_ = false;
      SyncAll();
    });
  }
}

void DbShard::SyncAll() {
  for (int i = 0; i < static_cast<int>(connections_.size()); ++i) {
    if (connections_[i].unsynced > 0 && connections_[i].conn != nullptr) {
      SyncAndFlush(i);
    }
  }
}

std::vector<std::shared_ptr<DbRequest>> DbShard::CloseAndTakeQueries(
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

void DbShard::Finish(DbRequest& request, absl::StatusOr<PgResultPtr> result) {
  loop_.CancelTimer(request.timer);
  request.timer = 0;
  request.Complete(std::move(result));
}

void DbShard::Cancel(const std::shared_ptr<DbRequest>& request,
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

void DbShard::FailQueued(const absl::Status& why) {
  for (const std::shared_ptr<DbRequest>& request : queue_) {
    if (request->queued) {
      request->queued = false;
      Finish(*request, why);
    }
  }
  queue_.clear();
  queued_ = 0;
}

void DbShard::Close(const absl::Status& why) {
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

// --------------------------------------------------------------- connections

absl::Status DbShard::DatabaseStatus(int index) const {
  return StatusFromResult(nullptr, connections_[index].conn.get());
}

void DbShard::StartConnect(int index) {
  Connection& c = connections_[index];
  const char* keywords[] = {"dbname", "application_name", nullptr};
  const char* values[] = {options_.pool.db.conninfo.c_str(),
                          options_.pool.db.application_name.c_str(), nullptr};
  c.conn.reset(PQconnectStartParams(keywords, values, /*expand_dbname=*/1));
  c.served = false;
  if (c.conn == nullptr || PQstatus(c.conn.get()) == CONNECTION_BAD) {
    ConnectFailed(index, absl::UnavailableError(absl::StrCat(
                             "cannot connect to the database: ",
                             OneLine(PQerrorMessage(c.conn.get())))));
    return;
  }
  c.state = State::kConnecting;
  c.timer =
      loop_.RunAt(absl::Now() + options_.pool.connect_timeout, [this, index] {
        connections_[index].timer = 0;
        ConnectFailed(index, absl::UnavailableError(
                                 "cannot connect to the database: timed out"));
      });
  WatchConnecting(index, PGRES_POLLING_WRITING);
}

void DbShard::WatchConnecting(int index, PostgresPollingStatusType polling) {
  Connection& c = connections_[index];
  // libpq may switch sockets while it tries the host's addresses in turn.
  const int fd = PQsocket(c.conn.get());
  if (c.fd != fd && c.fd >= 0) {
    loop_.UnwatchFd(c.fd);
  }
  c.fd = fd;
  c.watching = 0;  // the connect callback, not OnSocket
  loop_.WatchFd(fd, polling == PGRES_POLLING_READING ? EPOLLIN : EPOLLOUT,
                [this, index](uint32_t) { ContinueConnect(index); });
}

void DbShard::ContinueConnect(int index) {
  Connection& c = connections_[index];
  switch (PQconnectPoll(c.conn.get())) {
    case PGRES_POLLING_OK:
      ConnectEstablished(index);
      return;
    case PGRES_POLLING_READING:
      WatchConnecting(index, PGRES_POLLING_READING);
      return;
    case PGRES_POLLING_WRITING:
      WatchConnecting(index, PGRES_POLLING_WRITING);
      return;
    default:
      ConnectFailed(index, absl::UnavailableError(absl::StrCat(
                               "cannot connect to the database: ",
                               OneLine(PQerrorMessage(c.conn.get())))));
  }
}

void DbShard::ConnectEstablished(int index) {
  Connection& c = connections_[index];
  loop_.CancelTimer(c.timer);
  c.timer = 0;
  PGconn* conn = c.conn.get();
  if (PQsetnonblocking(conn, 1) != 0 || PQenterPipelineMode(conn) == 0) {
    ConnectFailed(index, DatabaseStatus(index));
    return;
  }
  c.cancel = std::shared_ptr<PGcancel>(PQgetCancel(conn), PQfreeCancel);
  c.backoff = options_.pool.reconnect_backoff;
  fail_fast_until_ = absl::InfinitePast();
  WatchSocket(index, EPOLLIN);
  if (options_.pool.connect_per_request) {
    c.state = State::kReady;
    if (c.in_flight.empty() || c.in_flight.front().request->IsComplete()) {
      CloseConnection(index);  // its call ended while we connected
      Pump();
      return;
    }
    if (SendQuery(index, *c.in_flight.front().request)) {
      SyncAndFlush(index);
    }
    return;
  }
  for (const Statement* statement : AllStatements()) {
    if (PQsendPrepare(conn, statement->name, statement->sql,
                      statement->param_count,
                      statement->param_types.data()) == 0) {
      ConnectFailed(index, DatabaseStatus(index));
      return;
    }
  }
  if (PQpipelineSync(conn) == 0) {
    ConnectFailed(index, DatabaseStatus(index));
    return;
  }
  c.in_flight.push_front({Pending::Kind::kPrepare, nullptr});
  c.state = State::kPreparing;
  Flush(index);
}

void DbShard::ConnectFailed(int index, const absl::Status& status) {
  Connection& c = connections_[index];
  loop_.CancelTimer(c.timer);
  c.timer = 0;
  const std::vector<std::shared_ptr<DbRequest>> waiting =
      CloseAndTakeQueries(index);
  for (const std::shared_ptr<DbRequest>& request : waiting) {
    Finish(*request, status);
  }
  last_connect_error_ = status;
  // Pooled connections keep retrying in the background, so the database counts
  // as down until one succeeds; in connect-per-request mode only calls connect,
  // so fail fast for a short while.
  fail_fast_until_ = options_.pool.connect_per_request
                         ? absl::Now() + options_.pool.reconnect_backoff
                         : absl::InfiniteFuture();
  if (ReadyConnections() == 0) {
    FailQueued(status);
  }
  if (options_.pool.connect_per_request) {
    Pump();
    return;
  }
  c.state = State::kBackoff;
  c.timer = loop_.RunAt(absl::Now() + c.backoff, [this, index] {
    connections_[index].timer = 0;
    StartConnect(index);
  });
  c.backoff = std::min(c.backoff * 2, kMaxReconnectBackoff);
}

void DbShard::ConnectionLost(int index, const absl::Status& status) {
  Connection& c = connections_[index];
  const bool was_serving = c.served;
  std::vector<std::shared_ptr<DbRequest>> lost = CloseAndTakeQueries(index);
  for (std::shared_ptr<DbRequest>& request : lost) {
    if (request->IsComplete()) {
      continue;
    }
    // A connection that had worked may just be stale (the database restarted):
    // the statements are read-only, so one more try on a fresh connection is
    // safe.
    if (was_serving && request->attempts < 2) {
      Requeue(std::move(request));
    } else {
      Finish(*request, status);
    }
  }
  if (!options_.pool.connect_per_request) {
    StartConnect(index);
  }
  Pump();
}

void DbShard::CloseConnection(int index) {
  Connection& c = connections_[index];
  if (c.fd >= 0) {
    loop_.UnwatchFd(c.fd);
    c.fd = -1;
  }
  c.watching = 0;
  c.conn.reset();
  c.cancel.reset();
  c.head_result.reset();
  c.in_flight.clear();
  c.queries = 0;
  c.unsynced = 0;
  c.state = State::kIdle;
}

// ------------------------------------------------------------------- results

void DbShard::OnSocket(int index, uint32_t events) {
  PGconn* const conn = connections_[index].conn.get();
  if (events & EPOLLOUT) {
    Flush(index);
  }
  // Flush may have lost the connection and started another.
  if (connections_[index].conn.get() == conn &&
      (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
    ReadResults(index);
  }
}

void DbShard::Flush(int index) {
  Connection& c = connections_[index];
  const int pending = PQflush(c.conn.get());
  if (pending < 0) {
    ConnectionLost(index, DatabaseStatus(index));
    return;
  }
  WatchSocket(index, pending == 1 ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

void DbShard::WatchSocket(int index, uint32_t events) {
  Connection& c = connections_[index];
  if (c.watching != events) {
    c.watching = events;
    loop_.WatchFd(c.fd, events,
                  [this, index](uint32_t ready) { OnSocket(index, ready); });
  }
}

void DbShard::ReadResults(int index) {
  Connection& c = connections_[index];
  if (PQconsumeInput(c.conn.get()) == 0) {
    ConnectionLost(index, DatabaseStatus(index));
    return;
  }
  PGconn* const conn = c.conn.get();
  // FinishHead may close or replace the connection: re-check it on every turn.
  bool after_null = false;
  while (c.conn.get() == conn && !c.in_flight.empty() && !PQisBusy(conn)) {
    PgResultPtr result(PQgetResult(conn));
    const Pending::Kind head = c.in_flight.front().kind;
    if (result == nullptr) {
      // The end of one query's results. Two in a row: nothing more to read.
      if (after_null) {
        break;
      }
      after_null = true;
      if (head == Pending::Kind::kQuery && c.head_result != nullptr) {
        FinishHead(index);
      }
      continue;
    }
    after_null = false;
    if (PQresultStatus(result.get()) == PGRES_PIPELINE_SYNC) {
      if (head == Pending::Kind::kPrepare) {
        FinishPrepare(index);
      } else if (head == Pending::Kind::kSync) {
        c.in_flight.pop_front();
      }
      continue;
    }
    const bool failed = PQresultStatus(result.get()) != PGRES_TUPLES_OK &&
                        PQresultStatus(result.get()) != PGRES_COMMAND_OK;
    if (c.head_result == nullptr || failed) {
      c.head_result = std::move(result);
    }
  }
  if (c.conn.get() == conn && PQstatus(conn) == CONNECTION_BAD) {
    ConnectionLost(index, DatabaseStatus(index));
  }
}

void DbShard::FinishPrepare(int index) {
  Connection& c = connections_[index];
  c.in_flight.pop_front();
  const absl::Status status =
      StatusFromResult(c.head_result.get(), c.conn.get());
  c.head_result.reset();
  if (!status.ok()) {
    ConnectFailed(index, absl::FailedPreconditionError(absl::StrCat(
                             "cannot prepare statements: ", status.message())));
    return;
  }
  c.state = State::kReady;
  Pump();
}

void DbShard::FinishHead(int index) {
  Connection& c = connections_[index];
  std::shared_ptr<DbRequest> request = std::move(c.in_flight.front().request);
  c.in_flight.pop_front();
  --c.queries;
  PgResultPtr result = std::move(c.head_result);
  if (!request->IsComplete()) {
    const absl::Status status = StatusFromResult(result.get(), c.conn.get());
    if (PQresultStatus(result.get()) == PGRES_PIPELINE_ABORTED) {
      // An earlier query of its batch failed, so this one never ran: it is not
      // a try.
      --request->attempts;
      Requeue(std::move(request));
    } else if (status.ok()) {
      c.served = true;
      Finish(*request, std::move(result));
    } else if (IsCancelledQuery(status) && request->attempts < 2) {
      // Our cancel, meant for an abandoned query before it, caught this one:
      // run it again.
      Requeue(std::move(request));
    } else {
      Finish(*request, status);
    }
  }
  if (options_.pool.connect_per_request) {
    CloseConnection(index);
  } else {
    CancelHeadIfAbandoned(index);
  }
  Pump();
}

const DbRequest* DbShard::HeadQuery(const Connection& c) {
  for (const Pending& pending : c.in_flight) {
    if (pending.kind == Pending::Kind::kPrepare) {
      return nullptr;
    }
    if (pending.kind == Pending::Kind::kQuery) {
      return pending.request.get();
    }
  }
  return nullptr;
}

void DbShard::CancelHeadIfAbandoned(int index) {
  const Connection& c = connections_[index];
  const DbRequest* head = HeadQuery(c);
  if (c.cancel != nullptr && head != nullptr && head->IsComplete()) {
    canceller_.Cancel(c.cancel);
  }
}

}  // namespace asyncgrpc::async
