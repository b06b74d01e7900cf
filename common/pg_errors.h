// Maps libpq outcomes to absl status codes callers can act on: UNAVAILABLE when
// the database cannot be reached (retry later), RESOURCE_EXHAUSTED when it
// refuses more clients, DEADLINE_EXCEEDED when our cancel stopped a query,
// INTERNAL for anything else.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "libpq-fe.h"

namespace asyncgrpc {

// OK for PGRES_TUPLES_OK / PGRES_COMMAND_OK; `result` may be null (libpq then
// failed before any result, and `conn` explains why).
absl::Status StatusFromResult(const PGresult* result, const PGconn* conn);

// libpq messages end in newlines and may span lines; callers want one line.
std::string OneLine(absl::string_view message);

// True when the status says the connection is unusable and must be reconnected.
bool IsConnectionFailure(const absl::Status& status);

}  // namespace asyncgrpc
