#include "common/service_config.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/flags.h"

ABSL_FLAG(std::string, db, "",
          "libpq connection URI or key=value string; empty means "
          "$DATABASE_URL, then libpq's PG* environment variables");
ABSL_FLAG(int, db_pool_size, 16,
          "persistent database connections (the bound on concurrent queries)");
ABSL_FLAG(bool, db_connect_per_request, false,
          "REPRODUCTION MODE: open a new database connection for every query, "
          "as the original study did (still at most --db_pool_size at once)");
ABSL_FLAG(absl::Duration, db_acquire_timeout, absl::Seconds(5),
          "longest a call waits for a free connection (less if its deadline "
          "is sooner); then RESOURCE_EXHAUSTED");
ABSL_FLAG(absl::Duration, db_connect_timeout, absl::Seconds(2),
          "bound on each database (re)connect attempt");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "on SIGTERM/SIGINT, how long in-flight calls may take to finish");
ABSL_FLAG(absl::Duration, upstream_delay, absl::ZeroDuration(),
          "SIMULATION: each call also waits this long for a pretend slow "
          "third-party call (sync: blocks its thread; async: a timer), to make "
          "the workload I/O-bound");
ABSL_FLAG(absl::Duration, health_check_interval, absl::Seconds(1),
          "how often readiness (grpc.health.v1, service items.v1.ItemService) "
          "re-checks the database");

namespace asyncgrpc {
namespace {

absl::Status PositiveDuration(const char* name, absl::Duration value) {
  if (value <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", name, " must be positive, got ", absl::FormatDuration(value)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Time ConnectionWaitDeadline(absl::Time call_deadline,
                                  absl::Duration acquire_timeout) {
  const absl::Time now = absl::Now();
  absl::Time deadline = now + acquire_timeout;
  if (call_deadline != absl::InfiniteFuture()) {
    deadline = std::min(deadline, now + (call_deadline - now) * 4 / 5);
  }
  return deadline;
}

absl::StatusOr<ServiceConfig> ServiceConfigFromFlags(
    std::string application_name) {
  ServiceConfig config;
  config.pool.db.conninfo = absl::GetFlag(FLAGS_db);
  if (config.pool.db.conninfo.empty()) {
    if (const char* url = std::getenv("DATABASE_URL"); url != nullptr) {
      config.pool.db.conninfo = url;
    }
  }
  config.pool.db.application_name = std::move(application_name);
  if (absl::Status status = CheckConninfo(config.pool.db.conninfo);
      !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--db: ", status.message()));
  }
  config.pool.size = absl::GetFlag(FLAGS_db_pool_size);
  if (config.pool.size < 1 || config.pool.size > 10'000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--db_pool_size must be between 1 and 10000, got ", config.pool.size));
  }
  config.pool.connect_per_request = absl::GetFlag(FLAGS_db_connect_per_request);
  config.pool.acquire_timeout = absl::GetFlag(FLAGS_db_acquire_timeout);
  config.pool.connect_timeout = absl::GetFlag(FLAGS_db_connect_timeout);
  config.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  config.health_check_interval = absl::GetFlag(FLAGS_health_check_interval);
  config.upstream_delay = absl::GetFlag(FLAGS_upstream_delay);
  if (config.upstream_delay < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--upstream_delay must not be negative");
  }
  for (auto [name, value] :
       {std::pair{"db_acquire_timeout", config.pool.acquire_timeout},
        std::pair{"db_connect_timeout", config.pool.connect_timeout},
        std::pair{"health_check_interval", config.health_check_interval}}) {
    if (absl::Status status = PositiveDuration(name, value); !status.ok()) {
      return status;
    }
  }
  if (config.shutdown_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--shutdown_grace must not be negative");
  }
  return config;
}

ServiceConfig ServiceConfigOrExit(std::string application_name) {
  absl::StatusOr<ServiceConfig> config =
      ServiceConfigFromFlags(std::move(application_name));
  if (!config.ok()) {
    ExitWithUsageError(config.status().message());
  }
  if (absl::Status status = CheckDatabaseReady(
          config->pool.db, absl::Now() + config->pool.connect_timeout);
      !status.ok()) {
    ExitWithUsageError(status.message());
  }
  if (config->pool.connect_per_request) {
    std::cerr << ProgramName()
              << ": REPRODUCTION MODE --db_connect_per_request: a new database "
                 "connection for every query, as the original study did"
              << std::endl;
  }
  return *std::move(config);
}

}  // namespace asyncgrpc
