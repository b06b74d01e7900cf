#include "common/pg_connection.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/pg_errors.h"
#include "common/queries.h"

namespace asyncgrpc {

absl::Status CheckConninfo(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    absl::Status status = absl::InvalidArgumentError(
        absl::StrCat("invalid database connection string: ",
                     OneLine(error != nullptr ? error : "out of memory")));
    PQfreemem(error);
    return status;
  }
  PQconninfoFree(options);
  return absl::OkStatus();
}

bool WaitForSocket(int fd, bool for_write, absl::Time deadline) {
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return false;
    }
    pollfd pfd = {.fd = fd,
                  .events = static_cast<short>(for_write ? POLLOUT : POLLIN)};
    const int timeout_ms = static_cast<int>(
        std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 60'000));
    const int ready = poll(&pfd, 1, timeout_ms);
    if (ready > 0) {
      return true;
    }
    if (ready < 0 && errno != EINTR) {
      return true;  // Let libpq report the socket error.
    }
  }
}

absl::StatusOr<PgConnPtr> ConnectWithin(const DbOptions& options,
                                        absl::Time deadline) {
  const char* keywords[] = {"dbname", "application_name", nullptr};
  const char* values[] = {options.conninfo.c_str(),
                          options.application_name.c_str(), nullptr};
  PgConnPtr conn(PQconnectStartParams(keywords, values, /*expand_dbname=*/1));
  if (conn == nullptr) {
    return absl::ResourceExhaustedError("cannot allocate a libpq connection");
  }
  if (PQstatus(conn.get()) == CONNECTION_BAD) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to the database: ",
                     OneLine(PQerrorMessage(conn.get()))));
  }
  PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
  while (poll_status != PGRES_POLLING_OK) {
    if (poll_status == PGRES_POLLING_FAILED) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to the database: ",
                       OneLine(PQerrorMessage(conn.get()))));
    }
    // The socket can change between polls (libpq tries each host address in
    // turn).
    if (!WaitForSocket(PQsocket(conn.get()),
                       poll_status == PGRES_POLLING_WRITING, deadline)) {
      return absl::UnavailableError(
          "cannot connect to the database: timed out");
    }
    poll_status = PQconnectPoll(conn.get());
  }
  return conn;
}

absl::Status PrepareStatements(PGconn* conn) {
  for (const Statement* statement : AllStatements()) {
    PgResultPtr result(PQprepare(conn, statement->name, statement->sql,
                                 statement->param_count,
                                 statement->param_types.data()));
    if (absl::Status status = StatusFromResult(result.get(), conn);
        !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDatabaseReady(const DbOptions& options, absl::Time deadline) {
  absl::StatusOr<PgConnPtr> conn = ConnectWithin(options, deadline);
  if (!conn.ok()) {
    return conn.status();
  }
  if (absl::Status status = PrepareStatements(conn->get()); !status.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the database lacks the items schema (scripts/local-postgres applies "
        "it): ",
        status.message()));
  }
  return absl::OkStatus();
}

}  // namespace asyncgrpc
