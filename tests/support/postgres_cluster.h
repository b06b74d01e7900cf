// Test helpers for a real PostgreSQL: PostgresCluster starts/stops a private
// cluster through the project's scripts/local-postgres (so failure tests can
// take the database away and bring it back), TempDir provides a scratch
// directory for its data, and Query / HeldConnection give tests direct libpq
// access (e.g. to inspect pg_stat_activity or to hold a table lock).
//
//   auto cluster = PostgresCluster::StartPrivate();  // in a TempDir of its own
//   ...
//   ASSERT_TRUE((*cluster)->Stop().ok());     // database outage
//   ASSERT_TRUE((*cluster)->Restart().ok());  // ... and its return
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct pg_conn;  // libpq's PGconn.

namespace asyncgrpc::testing {

// A directory created with mkdtemp under /tmp, chmod 0755 so that the
// postgres OS user can traverse it, and removed recursively on destruction.
// Movable, not copyable.
class TempDir {
 public:
  // `prefix` becomes /tmp/<prefix>XXXXXX.
  static absl::StatusOr<TempDir> Create(
      std::string_view prefix = "asyncgrpc-test-");

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  void Remove();

  std::string path_;  // Empty when moved from.
};

// A private PostgreSQL cluster managed by scripts/local-postgres.
class PostgresCluster {
 public:
  // Runs `local-postgres start --port PORT --items ITEMS --data-dir DATA_DIR`
  // and takes the libpq URI from the last line of its stdout. `port` 0 picks
  // a free port (see PickFreePort for the race). The script's stderr goes to
  // the test log. On failure a best-effort `stop` is attempted.
  static absl::StatusOr<std::unique_ptr<PostgresCluster>> Start(
      std::string data_dir, int port = 0, int items = 800);

  // Start() in a TempDir of its own, removed once the cluster has stopped:
  // for the tests that stop the database or lock its tables.
  static absl::StatusOr<std::unique_ptr<PostgresCluster>> StartPrivate();

  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // Stops the cluster if it is running (errors are printed, not returned).
  ~PostgresCluster();

  const std::string& uri() const { return uri_; }
  int port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }

  // Runs `local-postgres stop` for this cluster only.
  absl::Status Stop();
  // Runs `start` again with the same arguments (the script's start is
  // idempotent, so this is a no-op if the cluster is running). Use after
  // Stop() to simulate a database coming back after an outage.
  absl::Status Restart();

  // The URI of the shared cluster the test command started, from the env var
  // ASYNCGRPC_TEST_DATABASE_URL; empty if unset.
  static std::string SharedUri();

  // Absolute path of scripts/local-postgres.
  static std::string ScriptPath();

 private:
  PostgresCluster(std::string data_dir, int port, int items)
      : data_dir_(std::move(data_dir)), port_(port), items_(items) {}

  absl::Status RunStart();

  // StartPrivate's directory; declared first, so it goes after the rest.
  std::optional<TempDir> owned_dir_;
  const std::string data_dir_;
  const int port_;
  const int items_;
  std::string uri_;
  bool running_ = false;
};

// Query results in text form: rows of columns. SQL NULL becomes "".
using QueryRows = std::vector<std::vector<std::string>>;

// Opens a connection to `uri`, runs `sql` (PQexec: several ';'-separated
// statements are allowed, the last result is returned), and closes it.
// The connection uses connect_timeout=10 and statement_timeout=60s so a test
// cannot hang forever on a held lock. Unavailable if the server cannot be
// reached; Internal (with SQLSTATE) if the statement fails.
absl::StatusOr<QueryRows> Query(const std::string& uri, const std::string& sql);

// Keeps one libpq connection open across statements, e.g.:
//
//   auto holder = HeldConnection::Connect(uri);
//   ASSERT_TRUE((*holder)->Exec(
//       "BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE").ok());
//   ... exercise the service while the table is locked ...
//   ASSERT_TRUE((*holder)->Exec("ROLLBACK").ok());
//
// Same timeouts as Query(). Not thread-safe.
class HeldConnection {
 public:
  static absl::StatusOr<std::unique_ptr<HeldConnection>> Connect(
      const std::string& uri);

  HeldConnection(const HeldConnection&) = delete;
  HeldConnection& operator=(const HeldConnection&) = delete;
  ~HeldConnection();  // Closes the connection (rolling back any transaction).

  absl::Status Exec(const std::string& sql);
  absl::StatusOr<QueryRows> Query(const std::string& sql);

  // The server process id of this connection (pg_stat_activity.pid), e.g. to
  // exclude it from checks or pg_terminate_backend() it.
  int backend_pid() const;

 private:
  explicit HeldConnection(pg_conn* connection) : connection_(connection) {}

  pg_conn* connection_;
};

}  // namespace asyncgrpc::testing
