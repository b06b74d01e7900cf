#include "common/service_config.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/base/flags.h"
#include "common/base/pem_file.h"
#include "common/metrics_server.h"

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
ABSL_FLAG(bool, serve_from_memory, false,
          "BENCHMARK MODE: read the items table once at start-up and answer "
          "GetItem from memory, never from the database nor after "
          "--upstream_delay (ListItems still queries it); scripts/ceilings "
          "uses it to measure gRPC alone");
ABSL_FLAG(absl::Duration, health_check_interval, absl::Seconds(1),
          "how often readiness (grpc.health.v1, service items.v1.ItemService) "
          "re-checks the database");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain: serve TLS instead of plaintext (needs "
          "--tls_key)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port (IPv4 or a name) serving Prometheus metrics at /metrics; "
          "port 0 picks a free port; empty: no metrics endpoint");

namespace asyncgrpc {
namespace {

// Every duration flag is finite and at most this: anything longer is a typo.
constexpr absl::Duration kLongestDuration = absl::Hours(1);

// INVALID_ARGUMENT naming --`name` unless `value` is in [min, 1h] (in (min, 1h]
// when `min_excluded`).
absl::Status CheckDuration(absl::string_view name, absl::Duration value,
                           absl::Duration min, bool min_excluded) {
  const bool low = min_excluded ? value <= min : value < min;
  if (!low && value <= kLongestDuration) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--", name, " must be ",
      min_excluded
          ? absl::StrCat("above ", absl::FormatDuration(min), " and at most ")
          : absl::StrCat("between ", absl::FormatDuration(min), " and "),
      absl::FormatDuration(kLongestDuration), ", got ",
      absl::FormatDuration(value)));
}

// Undoes URI percent-encoding; malformed escapes stay as they are.
std::string PercentDecoded(absl::string_view text) {
  std::string decoded;
  auto hex = [](char c) {
    return absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        absl::ascii_isxdigit(text[i + 1]) &&
        absl::ascii_isxdigit(text[i + 2])) {
      decoded.push_back(
          static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      decoded.push_back(text[i]);
    }
  }
  return decoded;
}

// Every form in which `conninfo` may carry a password, as it appears in the
// text and decoded.
std::vector<std::string> PasswordsIn(absl::string_view conninfo) {
  std::vector<std::string> secrets;
  auto add = [&secrets](absl::string_view secret) {
    if (!secret.empty()) {
      secrets.emplace_back(secret);
      secrets.push_back(PercentDecoded(secret));
    }
  };
  // URI user info, scheme://user:password@host: like libpq, it ends at the
  // first '@' before any '/'.
  if (const size_t scheme = conninfo.find("://");
      scheme != absl::string_view::npos) {
    const absl::string_view rest = conninfo.substr(scheme + 3);
    const size_t end = rest.find_first_of("@/");
    if (end != absl::string_view::npos && rest[end] == '@') {
      const absl::string_view user_info = rest.substr(0, end);
      if (const size_t colon = user_info.find(':');
          colon != absl::string_view::npos) {
        add(user_info.substr(colon + 1));
      }
    }
  }
  // password=VALUE: a key=value keyword (maybe quoted) or a URI query
  // parameter.
  const std::string lower = absl::AsciiStrToLower(conninfo);
  for (size_t at = lower.find("password"); at != std::string::npos;
       at = lower.find("password", at + 1)) {
    size_t i = at + 8;
    while (i < conninfo.size() && absl::ascii_isspace(conninfo[i])) ++i;
    if (i >= conninfo.size() || conninfo[i] != '=') continue;
    ++i;
    while (i < conninfo.size() && absl::ascii_isspace(conninfo[i])) ++i;
    size_t end = i;
    if (i < conninfo.size() && conninfo[i] == '\'') {
      ++i;
      end = i;
      while (end < conninfo.size() && conninfo[end] != '\'') {
        end += conninfo[end] == '\\' ? 2 : 1;
      }
      end = std::min(end, conninfo.size());
    } else {
      while (end < conninfo.size() && !absl::ascii_isspace(conninfo[end]) &&
             conninfo[end] != '&') {
        ++end;
      }
    }
    add(conninfo.substr(i, end - i));
  }
  // libpq's own reading, when it can parse the string.
  char* error = nullptr;
  if (PQconninfoOption* options =
          PQconninfoParse(std::string(conninfo).c_str(), &error);
      options != nullptr) {
    for (PQconninfoOption* option = options; option->keyword != nullptr;
         ++option) {
      if (std::strcmp(option->keyword, "password") == 0 &&
          option->val != nullptr) {
        add(option->val);
      }
    }
    PQconninfoFree(options);
  }
  PQfreemem(error);
  // Longest first, so a password that contains another is replaced whole.
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) {
              return a.size() > b.size();
            });
  return secrets;
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
    return absl::InvalidArgumentError(absl::StrCat(
        "--db: ", RedactDbPassword(status.message(), config.pool.db.conninfo)));
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
  config.serve_from_memory = absl::GetFlag(FLAGS_serve_from_memory);
  struct DurationRule {
    const char* name;
    absl::Duration value;
    absl::Duration min;
    bool min_excluded;
  };
  for (const DurationRule& rule : {
           DurationRule{"db_acquire_timeout", config.pool.acquire_timeout,
                        absl::ZeroDuration(), true},
           DurationRule{"db_connect_timeout", config.pool.connect_timeout,
                        absl::ZeroDuration(), true},
           // Shorter would keep a connection busy with nothing but probes.
           DurationRule{"health_check_interval", config.health_check_interval,
                        absl::Milliseconds(10), false},
           DurationRule{"shutdown_grace", config.shutdown_grace,
                        absl::ZeroDuration(), false},
           DurationRule{"upstream_delay", config.upstream_delay,
                        absl::ZeroDuration(), false},
       }) {
    if (absl::Status status =
            CheckDuration(rule.name, rule.value, rule.min, rule.min_excluded);
        !status.ok()) {
      return status;
    }
  }
  absl::StatusOr<std::optional<ServerTlsConfig>> tls = ServerTlsFromFlags();
  if (!tls.ok()) {
    return tls.status();
  }
  config.tls = *std::move(tls);
  config.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  if (!config.metrics_listen.empty()) {
    if (absl::StatusOr<HostPort> address =
            ParseMetricsListen(config.metrics_listen);
        !address.ok()) {
      return address.status();
    }
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
    ExitWithUsageError(
        RedactDbPassword(status.message(), config->pool.db.conninfo));
  }
  if (config->pool.connect_per_request) {
    std::cerr << ProgramName()
              << ": REPRODUCTION MODE --db_connect_per_request: a new database "
                 "connection for every query, as the original study did"
              << std::endl;
  }
  return *std::move(config);
}

absl::StatusOr<std::optional<ServerTlsConfig>> ServerTlsFromFlags() {
  const std::string cert = absl::GetFlag(FLAGS_tls_cert);
  const std::string key = absl::GetFlag(FLAGS_tls_key);
  if (cert.empty() && key.empty()) {
    return std::nullopt;
  }
  if (cert.empty() || key.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert and --tls_key go together: give both or neither");
  }
  ServerTlsConfig tls;
  absl::StatusOr<std::string> pem =
      ReadPemFile("tls_cert", cert, "CERTIFICATE");
  if (!pem.ok()) {
    return pem.status();
  }
  tls.cert_chain_pem = *std::move(pem);
  pem = ReadPemFile("tls_key", key, "PRIVATE KEY");
  if (!pem.ok()) {
    return pem.status();
  }
  tls.private_key_pem = *std::move(pem);
  return tls;
}

std::string RedactDbPassword(absl::string_view text,
                             absl::string_view conninfo) {
  std::string redacted(text);
  for (const std::string& secret : PasswordsIn(conninfo)) {
    absl::StrReplaceAll({{secret, "****"}}, &redacted);
  }
  return redacted;
}

}  // namespace asyncgrpc
