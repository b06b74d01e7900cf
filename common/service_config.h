// The flags both services share (database, pool, shutdown, health, metrics)
// and their validation. Each service's main.cc defines only what differs: its
// --listen default and its concurrency knobs.
//
//   absl::StatusOr<ServiceConfig> config =
//       ServiceConfigFromFlags("asyncgrpc-sync");
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/pg_connection.h"

namespace asyncgrpc {

// The service name whose health status follows database reachability.
inline constexpr char kItemServiceName[] = "items.v1.ItemService";

// How a service reaches the database: the same knobs for both concurrency
// models.
struct DbPoolConfig {
  DbOptions db;
  // Connections, and so the bound on concurrent queries.
  int size = 16;
  // Reproduces the original study: a new connection for every query, no
  // prepared statements.
  bool connect_per_request = false;
  // Longest a call waits for a free connection when its own deadline allows
  // longer (or has none).
  absl::Duration acquire_timeout = absl::Seconds(5);
  // Bounds each (re)connect attempt.
  absl::Duration connect_timeout = absl::Seconds(2);
  // After a failed connect, calls fail fast for this long instead of each
  // trying again.
  absl::Duration reconnect_backoff = absl::Milliseconds(200);
};

// When a call waiting for a free connection gives up with RESOURCE_EXHAUSTED:
// after `acquire_timeout`, or once four fifths of its remaining time are spent,
// whichever is sooner. The fifth left over lets the caller see
// RESOURCE_EXHAUSTED rather than its own DEADLINE_EXCEEDED, and keeps a
// connection won at the last moment from being spent on a query that cannot
// finish.
absl::Time ConnectionWaitDeadline(absl::Time call_deadline,
                                  absl::Duration acquire_timeout);

// The identity the gRPC port presents when it serves TLS (--tls_cert,
// --tls_key): PEM text, not file names.
struct ServerTlsConfig {
  std::string cert_chain_pem;
  std::string private_key_pem;
};

struct ServiceConfig {
  DbPoolConfig pool;
  // Absent: plaintext (the default, for loopback use).
  std::optional<ServerTlsConfig> tls;
  // SIMULATION: each call also waits this long on a pretend third-party call
  // before its query; the sync service blocks its thread, the async one arms a
  // timer. Makes the workload I/O-bound.
  absl::Duration upstream_delay = absl::ZeroDuration();
  // BENCHMARK MODE (--serve_from_memory): GetItem answers from the table read
  // at start-up (common/memory_items.h), so only gRPC's cost remains.
  bool serve_from_memory = false;
  absl::Duration shutdown_grace = absl::Seconds(10);
  absl::Duration health_check_interval = absl::Seconds(1);
  // --metrics_listen: where Prometheus metrics are served (HOST:PORT, checked
  // for form only); empty: nowhere.
  std::string metrics_listen;
};

// Reads the shared flags (falling back to $DATABASE_URL for --db);
// INVALID_ARGUMENT naming the flag when a value is malformed or out of range.
// Durations must be finite and at most an hour. Messages never contain the
// database password.
absl::StatusOr<ServiceConfig> ServiceConfigFromFlags(
    std::string application_name);

// ServiceConfigFromFlags, then checks that the database answers and has the
// schema. On any problem prints one line and exits 2. Announces the
// reproduction mode when it is on.
ServiceConfig ServiceConfigOrExit(std::string application_name);

// --tls_cert and --tls_key read into PEM text: nullopt when neither is given;
// INVALID_ARGUMENT naming the flag when only one is, or when a file cannot be
// read or holds no PEM block of the expected kind. RunServer reads them too.
absl::StatusOr<std::optional<ServerTlsConfig>> ServerTlsFromFlags();

// `text` with every password that `conninfo` carries (URI user info, a
// password= parameter or key) replaced by "****", for messages that may echo
// the connection string.
std::string RedactDbPassword(absl::string_view text,
                             absl::string_view conninfo);

}  // namespace asyncgrpc
