#include "common/db_probe.h"

#include "common/pg_errors.h"

namespace asyncgrpc {
namespace {

absl::Status TimedOut() {
  return absl::UnavailableError("database health check timed out");
}

// SELECT 1 on a non-blocking connection, waiting on its socket until
// `deadline`.
absl::Status RunSelectOne(PGconn* conn, absl::Time deadline) {
  if (PQsendQuery(conn, "SELECT 1") == 0) {
    return StatusFromResult(nullptr, conn);
  }
  for (int flushed = PQflush(conn); flushed != 0; flushed = PQflush(conn)) {
    if (flushed < 0) {
      return StatusFromResult(nullptr, conn);
    }
    if (!WaitForSocket(PQsocket(conn), /*for_write=*/true, deadline)) {
      return TimedOut();
    }
  }
  absl::Status status = absl::OkStatus();
  while (true) {
    while (PQisBusy(conn)) {
      if (!WaitForSocket(PQsocket(conn), /*for_write=*/false, deadline)) {
        return TimedOut();
      }
      if (PQconsumeInput(conn) == 0) {
        return StatusFromResult(nullptr, conn);
      }
    }
    PgResultPtr result(PQgetResult(conn));
    if (result == nullptr) {
      return status;
    }
    if (absl::Status result_status = StatusFromResult(result.get(), conn);
        !result_status.ok()) {
      status = result_status;
    }
  }
}

}  // namespace

absl::Status DbProbe::Check(absl::Time deadline) {
  if (conn_ == nullptr || PQstatus(conn_.get()) != CONNECTION_OK) {
    absl::StatusOr<PgConnPtr> conn = ConnectWithin(options_, deadline);
    if (!conn.ok()) {
      conn_.reset();
      return conn.status();
    }
    conn_ = *std::move(conn);
    PQsetnonblocking(conn_.get(), 1);
  }
  absl::Status status = RunSelectOne(conn_.get(), deadline);
  if (!status.ok()) {
    conn_.reset();
  }
  return status;
}

bool Readiness::Observe(const absl::Status& status, bool timed_out) {
  if (status.ok()) {
    ready_ = true;
    last_timed_out_ = false;
  } else if (timed_out && ready_ && !last_timed_out_) {
    last_timed_out_ = true;
  } else {
    ready_ = false;
  }
  return ready_;
}

}  // namespace asyncgrpc
