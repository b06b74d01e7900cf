// LoopPool's pipeline I/O: watching each socket, flushing what libpq has
// queued, and reading results in order to complete each request.
#include "absl/strings/str_cat.h"
#include "async_service/loop_pool.h"
#include "common/pg_errors.h"

namespace asyncgrpc::async {
namespace {

bool IsCancelledQuery(const absl::Status& status) {
  return absl::IsDeadlineExceeded(status);
}

}  // namespace

void LoopPool::OnSocket(int index, uint32_t events) {
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

void LoopPool::Flush(int index) {
  Connection& c = connections_[index];
  const int pending = PQflush(c.conn.get());
  if (pending < 0) {
    ConnectionLost(index, DatabaseStatus(index));
    return;
  }
  WatchSocket(index, pending == 1 ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

void LoopPool::WatchSocket(int index, uint32_t events) {
  Connection& c = connections_[index];
  if (c.watching != events) {
    c.watching = events;
    loop_.WatchFd(c.fd, events,
                  [this, index](uint32_t ready) { OnSocket(index, ready); });
  }
}

void LoopPool::ReadResults(int index) {
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

void LoopPool::FinishPrepare(int index) {
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

void LoopPool::FinishHead(int index) {
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

const DbRequest* LoopPool::HeadQuery(const Connection& c) {
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

void LoopPool::CancelHeadIfAbandoned(int index) {
  const Connection& c = connections_[index];
  const DbRequest* head = HeadQuery(c);
  if (c.cancel != nullptr && head != nullptr && head->IsComplete()) {
    canceller_.Cancel(c.cancel);
  }
}

}  // namespace asyncgrpc::async
