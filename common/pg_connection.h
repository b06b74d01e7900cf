// Opening libpq connections the way both services need them: bounded by a
// deadline (libpq's own connect_timeout has a 2 s floor), labelled with an
// application_name visible in pg_stat_activity, and with every statement of
// queries.h prepared.
//
//   absl::StatusOr<PgConnPtr> conn =
//       ConnectWithin(options, absl::Now() + absl::Seconds(1));
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libpq-fe.h"

namespace asyncgrpc {

struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;

struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

struct DbOptions {
  // A libpq URI or key=value string; empty means libpq's PG* environment
  // variables.
  std::string conninfo;
  // Shown in pg_stat_activity, so tests and operators can tell the services'
  // sessions apart.
  std::string application_name;
};

// INVALID_ARGUMENT naming the problem when libpq cannot parse `conninfo`.
absl::Status CheckConninfo(const std::string& conninfo);

// Connects without blocking past `deadline`. UNAVAILABLE with libpq's reason on
// failure.
absl::StatusOr<PgConnPtr> ConnectWithin(const DbOptions& options,
                                        absl::Time deadline);

// Prepares every statement in AllStatements() on a fresh, blocking-mode
// connection.
absl::Status PrepareStatements(PGconn* conn);

// Start-up check: the database answers and has the schema every statement
// needs.
absl::Status CheckDatabaseReady(const DbOptions& options, absl::Time deadline);

// Waits until `fd` is readable (or writable) or `deadline` passes; false on
// timeout.
bool WaitForSocket(int fd, bool for_write, absl::Time deadline);

}  // namespace asyncgrpc
