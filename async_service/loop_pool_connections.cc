// LoopPool's connections: connecting without blocking (PQconnectPoll),
// preparing the statements, and reconnecting with backoff when one is lost.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "async_service/loop_pool.h"
#include "common/pg_errors.h"

namespace asyncgrpc::async {
namespace {

constexpr absl::Duration kMaxReconnectBackoff = absl::Seconds(1);

}  // namespace

absl::Status LoopPool::DatabaseStatus(int index) const {
  return StatusFromResult(nullptr, connections_[index].conn.get());
}

void LoopPool::StartConnect(int index) {
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

void LoopPool::WatchConnecting(int index, PostgresPollingStatusType polling) {
  Connection& c = connections_[index];
  // libpq may switch sockets while it tries the host's addresses in turn,
  // closing the one it leaves.
  const int fd = PQsocket(c.conn.get());
  if (c.fd != fd && c.fd >= 0) {
    loop_.ForgetFd(c.fd);
  }
  c.fd = fd;
  c.watching = 0;  // the connect callback, not OnSocket
  loop_.WatchFd(fd, polling == PGRES_POLLING_READING ? EPOLLIN : EPOLLOUT,
                [this, index](uint32_t) { ContinueConnect(index); });
}

void LoopPool::ContinueConnect(int index) {
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

void LoopPool::ConnectEstablished(int index) {
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

void LoopPool::ConnectFailed(int index, const absl::Status& status) {
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

void LoopPool::ConnectionLost(int index, const absl::Status& status) {
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

void LoopPool::CloseConnection(int index) {
  Connection& c = connections_[index];
  if (c.fd >= 0) {
    // A failed connection's socket may be closed already (libpq then says
    // -1), its number reused by another loop's new socket.
    if (c.conn != nullptr && PQsocket(c.conn.get()) == c.fd) {
      loop_.UnwatchFd(c.fd);
    } else {
      loop_.ForgetFd(c.fd);
    }
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

}  // namespace asyncgrpc::async
