#include "common/pg_errors.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace asyncgrpc {
namespace {

constexpr absl::string_view kQueryCanceled = "57014";
constexpr absl::string_view kTooManyConnections = "53300";

// Connection exceptions (class 08) and operator intervention that ends the
// session or forbids connecting (57P01 admin_shutdown, 57P02 crash_shutdown,
// 57P03 cannot_connect_now).
bool IsUnavailableState(absl::string_view sqlstate) {
  return absl::StartsWith(sqlstate, "08") || sqlstate == "57P01" ||
         sqlstate == "57P02" || sqlstate == "57P03";
}

}  // namespace

std::string OneLine(absl::string_view message) {
  std::string line = absl::StrReplaceAll(
      absl::StripTrailingAsciiWhitespace(message),
      {{"\r\n", "; "}, {"\n", "; "}, {"\r", " "}, {"\t", " "}});
  return line.empty() ? "no details from libpq" : line;
}

bool IsConnectionFailure(const absl::Status& status) {
  return absl::IsUnavailable(status);
}

absl::Status StatusFromResult(const PGresult* result, const PGconn* conn) {
  const ExecStatusType exec_status =
      result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result);
  if (exec_status == PGRES_TUPLES_OK || exec_status == PGRES_COMMAND_OK) {
    return absl::OkStatus();
  }
  if (result != nullptr && exec_status != PGRES_FATAL_ERROR &&
      exec_status != PGRES_NONFATAL_ERROR && PQstatus(conn) == CONNECTION_OK) {
    return absl::InternalError(
        absl::StrCat("unexpected database result: ", PQresStatus(exec_status)));
  }
  const char* sqlstate_field =
      result == nullptr ? nullptr
                        : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const absl::string_view sqlstate =
      sqlstate_field == nullptr ? "" : sqlstate_field;
  const std::string message =
      OneLine(result != nullptr && *PQresultErrorMessage(result) != '\0'
                  ? PQresultErrorMessage(result)
                  : PQerrorMessage(conn));
  if (PQstatus(conn) == CONNECTION_BAD || IsUnavailableState(sqlstate)) {
    return absl::UnavailableError(
        absl::StrCat("database unavailable: ", message));
  }
  if (sqlstate == kQueryCanceled) {
    return absl::DeadlineExceededError(
        "database query cancelled: the call's deadline passed or it was "
        "cancelled");
  }
  if (sqlstate == kTooManyConnections) {
    return absl::ResourceExhaustedError(
        absl::StrCat("database refused the connection: ", message));
  }
  // No SQLSTATE means libpq failed locally (e.g. lost the socket mid-query).
  if (sqlstate.empty()) {
    return absl::UnavailableError(
        absl::StrCat("database unavailable: ", message));
  }
  return absl::InternalError(
      absl::StrCat("database error ", sqlstate, ": ", message));
}

}  // namespace asyncgrpc
