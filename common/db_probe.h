// Readiness: whether the database answers a trivial query, over one dedicated
// connection kept apart from the request pool so a busy pool never reads as a
// dead database.
//
//   DbProbe probe(config.db);
//   bool ready = probe.Check(absl::Now() + absl::Seconds(1)).ok();
#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/pg_connection.h"

namespace asyncgrpc {

// Not thread-safe: one caller (the health thread, or main at start-up) at a
// time.
class DbProbe {
 public:
  explicit DbProbe(DbOptions options) : options_(std::move(options)) {}

  // Reconnects if needed and runs SELECT 1, never blocking past `deadline`.
  absl::Status Check(absl::Time deadline);

 private:
  DbOptions options_;
  PgConnPtr conn_;
};

// Turns probe outcomes into readiness. A probe the database refused or failed
// counts at once; a probe that only ran out of time counts when the next one
// fails too, so one slow answer on a busy machine does not take a healthy
// service out of rotation (Kubernetes' failureThreshold, for the same reason).
class Readiness {
 public:
  // Returns whether the service is ready after a probe that returned `status`
  // and, when it failed, whether it failed by running out of time.
  bool Observe(const absl::Status& status, bool timed_out);
  bool ready() const { return ready_; }

 private:
  bool ready_ = true;
  bool last_timed_out_ = false;
};

}  // namespace asyncgrpc
