// Implementation of PostgresCluster, TempDir, Query and HeldConnection (see
// postgres_cluster.h).
#include "tests/support/postgres_cluster.h"

#include <errno.h>
#include <libpq-fe.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"

#ifndef ASYNCGRPC_SOURCE_DIR
#error "ASYNCGRPC_SOURCE_DIR must be defined (see tests/support/CMakeLists.txt)"
#endif

namespace asyncgrpc::testing {
namespace {

// initdb + loading items can be slow on a loaded 2-core machine.
constexpr absl::Duration kStartTimeout = absl::Minutes(3);
constexpr absl::Duration kStopTimeout = absl::Minutes(1);
constexpr char kSharedUriEnv[] = "ASYNCGRPC_TEST_DATABASE_URL";
constexpr char kConnectTimeoutSeconds[] = "10";
constexpr char kStatementTimeoutSql[] = "SET statement_timeout = '60s'";

// Connects with a bounded connect timeout; the URI's own settings are kept
// (keywords after "dbname" override only what they name).
absl::StatusOr<PGconn*> Connect(const std::string& uri) {
  const char* keywords[] = {"dbname", "connect_timeout", nullptr};
  const char* values[] = {uri.c_str(), kConnectTimeoutSeconds, nullptr};
  PGconn* connection = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (connection == nullptr) {
    return absl::ResourceExhaustedError("PQconnectdbParams returned null");
  }
  if (PQstatus(connection) != CONNECTION_OK) {
    absl::Status status = absl::UnavailableError(absl::StrCat(
        "cannot connect to ", uri, ": ",
        absl::StripTrailingAsciiWhitespace(PQerrorMessage(connection))));
    PQfinish(connection);
    return status;
  }
  return connection;
}

// Runs `sql` on `connection`; fills `rows` (if non-null) from the last result.
absl::Status Execute(PGconn* connection, const std::string& sql,
                     QueryRows* rows) {
  PGresult* result = PQexec(connection, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK &&
      status != PGRES_EMPTY_QUERY) {
    const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    std::string message = absl::StrCat(
        "`", sql, "` failed",
        sqlstate != nullptr ? absl::StrCat(" (SQLSTATE ", sqlstate, ")") : "",
        ": ", absl::StripTrailingAsciiWhitespace(PQerrorMessage(connection)));
    PQclear(result);
    if (PQstatus(connection) != CONNECTION_OK) {
      return absl::UnavailableError(message);
    }
    return absl::InternalError(message);
  }
  if (rows != nullptr) {
    rows->clear();
    const int row_count = PQntuples(result);
    const int column_count = PQnfields(result);
    rows->reserve(row_count);
    for (int row = 0; row < row_count; ++row) {
      std::vector<std::string>& columns = rows->emplace_back();
      columns.reserve(column_count);
      for (int column = 0; column < column_count; ++column) {
        columns.emplace_back(PQgetisnull(result, row, column)
                                 ? ""
                                 : PQgetvalue(result, row, column));
      }
    }
  }
  PQclear(result);
  return absl::OkStatus();
}

// Connects and applies the statement timeout shared by Query/HeldConnection.
absl::StatusOr<PGconn*> ConnectForTest(const std::string& uri) {
  absl::StatusOr<PGconn*> connection = Connect(uri);
  if (!connection.ok()) return connection.status();
  absl::Status status = Execute(*connection, kStatementTimeoutSql, nullptr);
  if (!status.ok()) {
    PQfinish(*connection);
    return status;
  }
  return connection;
}

// The last non-empty line of `output`, whitespace-trimmed.
std::string LastLine(absl::string_view output) {
  std::string last;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) last = std::string(line);
  }
  return last;
}

}  // namespace

// ---------------------------------------------------------------------------
// PostgresCluster

absl::StatusOr<std::unique_ptr<PostgresCluster>> PostgresCluster::Start(
    std::string data_dir, int port, int items) {
  if (data_dir.empty()) return absl::InvalidArgumentError("empty data_dir");
  if (port == 0) port = PickFreePort();
  if (port <= 0) return absl::UnavailableError("no free port for postgres");
  std::unique_ptr<PostgresCluster> cluster(
      new PostgresCluster(std::move(data_dir), port, items));
  absl::Status status = cluster->RunStart();
  if (!status.ok()) {
    // A half-started cluster must not outlive the test: best-effort stop.
    int ignored_exit_code = 0;
    (void)RunCommand({ScriptPath(), "stop", "--port", std::to_string(port),
                      "--data-dir", cluster->data_dir_},
                     kStopTimeout, &ignored_exit_code);
    return status;
  }
  return cluster;
}

absl::StatusOr<std::unique_ptr<PostgresCluster>>
PostgresCluster::StartPrivate() {
  absl::StatusOr<TempDir> dir = TempDir::Create();
  if (!dir.ok()) return dir.status();
  absl::StatusOr<std::unique_ptr<PostgresCluster>> cluster =
      Start(dir->path() + "/pgdata");
  if (!cluster.ok()) return cluster.status();
  (*cluster)->owned_dir_.emplace(*std::move(dir));
  return cluster;
}

PostgresCluster::~PostgresCluster() {
  if (!running_) return;
  absl::Status status = Stop();
  if (!status.ok()) {
    std::fprintf(stderr, "PostgresCluster(%s): stop failed: %s\n",
                 data_dir_.c_str(), status.ToString().c_str());
  }
}

absl::Status PostgresCluster::RunStart() {
  int exit_code = 0;
  absl::StatusOr<std::string> output =
      RunCommand({ScriptPath(), "start", "--port", std::to_string(port_),
                  "--items", std::to_string(items_), "--data-dir", data_dir_},
                 kStartTimeout, &exit_code);
  if (!output.ok()) return output.status();
  if (exit_code != 0) {
    return absl::InternalError(absl::StrCat("local-postgres start exited with ",
                                            exit_code, "; stdout:\n", *output));
  }
  std::string uri = LastLine(*output);
  if (!absl::StartsWith(uri, "postgresql://") &&
      !absl::StartsWith(uri, "postgres://")) {
    return absl::InternalError(absl::StrCat(
        "local-postgres start did not print a libpq URI as its last line; "
        "stdout:\n",
        *output));
  }
  uri_ = std::move(uri);
  running_ = true;
  return absl::OkStatus();
}

absl::Status PostgresCluster::Stop() {
  int exit_code = 0;
  absl::StatusOr<std::string> output =
      RunCommand({ScriptPath(), "stop", "--port", std::to_string(port_),
                  "--data-dir", data_dir_},
                 kStopTimeout, &exit_code);
  if (!output.ok()) return output.status();
  if (exit_code != 0) {
    return absl::InternalError(absl::StrCat("local-postgres stop exited with ",
                                            exit_code, "; stdout:\n", *output));
  }
  running_ = false;
  return absl::OkStatus();
}

absl::Status PostgresCluster::Restart() { return RunStart(); }

std::string PostgresCluster::SharedUri() {
  const char* uri = std::getenv(kSharedUriEnv);
  return uri == nullptr ? std::string() : std::string(uri);
}

std::string PostgresCluster::ScriptPath() {
  return ASYNCGRPC_SOURCE_DIR "/scripts/local-postgres";
}

// ---------------------------------------------------------------------------
// TempDir

absl::StatusOr<TempDir> TempDir::Create(std::string_view prefix) {
  std::string path = absl::StrCat(
      "/tmp/", absl::string_view(prefix.data(), prefix.size()), "XXXXXX");
  if (mkdtemp(path.data()) == nullptr) {
    return absl::ErrnoToStatus(errno, absl::StrCat("mkdtemp ", path));
  }
  TempDir dir(std::move(path));
  if (chmod(dir.path_.c_str(), 0755) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("chmod ", dir.path_));
  }
  return dir;
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() { Remove(); }

void TempDir::Remove() {
  if (path_.empty()) return;
  std::error_code error;
  std::filesystem::remove_all(path_, error);
  if (error) {
    std::fprintf(stderr, "TempDir: cannot remove %s: %s\n", path_.c_str(),
                 error.message().c_str());
  }
  path_.clear();
}

// ---------------------------------------------------------------------------
// Query / HeldConnection

absl::StatusOr<QueryRows> Query(const std::string& uri,
                                const std::string& sql) {
  absl::StatusOr<PGconn*> connection = ConnectForTest(uri);
  if (!connection.ok()) return connection.status();
  QueryRows rows;
  absl::Status status = Execute(*connection, sql, &rows);
  PQfinish(*connection);
  if (!status.ok()) return status;
  return rows;
}

absl::StatusOr<std::unique_ptr<HeldConnection>> HeldConnection::Connect(
    const std::string& uri) {
  absl::StatusOr<PGconn*> connection = ConnectForTest(uri);
  if (!connection.ok()) return connection.status();
  return std::unique_ptr<HeldConnection>(new HeldConnection(*connection));
}

HeldConnection::~HeldConnection() { PQfinish(connection_); }

absl::Status HeldConnection::Exec(const std::string& sql) {
  return Execute(connection_, sql, nullptr);
}

absl::StatusOr<QueryRows> HeldConnection::Query(const std::string& sql) {
  QueryRows rows;
  absl::Status status = Execute(connection_, sql, &rows);
  if (!status.ok()) return status;
  return rows;
}

int HeldConnection::backend_pid() const { return PQbackendPID(connection_); }

}  // namespace asyncgrpc::testing
