#include "loadgen/core/notation.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace asyncgrpc::loadgen {

std::vector<double> Ramp::Levels() const {
  std::vector<double> levels;
  // A small epsilon keeps END when floating-point steps land a hair above it.
  for (double level = start; level <= end + step * 1e-9; level += step) {
    // A STEP below START's precision would never move; past 1000 ParseRamp
    // refuses anyway.
    if ((!levels.empty() && level <= levels.back()) || levels.size() > 1000) {
      break;
    }
    levels.push_back(level);
  }
  return levels;
}

absl::StatusOr<Ramp> ParseRamp(absl::string_view flag, absl::string_view spec,
                               bool whole) {
  const std::vector<absl::string_view> parts = absl::StrSplit(spec, ':');
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " must be START:END:STEP (e.g. 10:200:10), got \"",
                     spec, "\": ", why));
  };
  if (parts.size() != 1 && parts.size() != 3) {
    return bad("expected three numbers separated by ':'");
  }
  double values[3] = {0, 0, 1};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!absl::SimpleAtod(parts[i], &values[i]) || !std::isfinite(values[i])) {
      return bad(absl::StrCat("\"", parts[i], "\" is not a number"));
    }
    if (whole && values[i] != std::floor(values[i])) {
      return bad(absl::StrCat("\"", parts[i], "\" is not a whole number"));
    }
  }
  Ramp ramp{.start = values[0], .end = values[0], .step = 1};
  if (parts.size() == 3) {
    ramp.end = values[1];
    ramp.step = values[2];
  }
  if (ramp.start <= 0) {
    return bad("START must be positive");
  }
  if (ramp.end < ramp.start) {
    return bad("END must not be below START");
  }
  if (ramp.step <= 0) {
    return bad("STEP must be positive");
  }
  // Users are tracked one by one and rates scheduled call by call: keep both
  // within reason.
  const double max_level = whole ? 1e6 : 1e7;
  if (ramp.end > max_level) {
    return bad(absl::StrCat("END above ", max_level));
  }
  if (ramp.end > ramp.start && ramp.start + ramp.step == ramp.start) {
    return bad("STEP is too small for START");
  }
  if (ramp.Levels().size() > 1000) {
    return bad("more than 1000 steps");
  }
  return ramp;
}

absl::StatusOr<Target> ParseTarget(absl::string_view spec) {
  Target target;
  absl::string_view address = spec;
  if (const size_t eq = spec.find('='); eq != absl::string_view::npos) {
    target.name = std::string(spec.substr(0, eq));
    address = spec.substr(eq + 1);
    if (target.name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--target must be NAME=HOST:PORT, got \"", spec, "\": empty name"));
    }
  }
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port <= 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--target must be NAME=HOST:PORT (e.g. sync=127.0.0.1:50051), got \"",
        spec, "\""));
  }
  target.address = std::string(address);
  if (target.name.empty()) {
    target.name = target.address;
  }
  return target;
}

absl::StatusOr<Scenario> ParseScenario(absl::string_view spec) {
  Scenario scenario{.spec = std::string(spec)};
  auto single = [](absl::string_view name, Action* action) {
    if (name == "seed") {
      *action = Action::kSeed;
    } else if (name == "get") {
      *action = Action::kGet;
    } else if (name == "list") {
      *action = Action::kList;
    } else {
      return false;
    }
    return true;
  };
  Action action;
  if (single(spec, &action)) {
    scenario.actions = {action};
    scenario.weights = {1};
    return scenario;
  }
  absl::string_view mix = spec;
  if (!absl::ConsumePrefix(&mix, "mix:")) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown --scenario \"", spec,
                     "\": use seed, get, list or mix:get=W,list=W,seed=W"));
  }
  double total = 0;
  for (absl::string_view part : absl::StrSplit(mix, ',')) {
    const std::vector<absl::string_view> kv = absl::StrSplit(part, '=');
    double weight = 0;
    if (kv.size() != 2 || !single(kv[0], &action) ||
        !absl::SimpleAtod(kv[1], &weight) || !(weight >= 0) ||
        !std::isfinite(weight)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--scenario mix must be mix:NAME=WEIGHT,... with NAME in seed, get, "
          "list and WEIGHT >= 0, got \"",
          spec, "\""));
    }
    total += weight;
    scenario.actions.push_back(action);
    scenario.weights.push_back(total);
  }
  if (!(total > 0) || !std::isfinite(total)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--scenario mix needs a positive, finite total weight, got \"", spec,
        "\""));
  }
  return scenario;
}

absl::StatusOr<absl::Time> ParseStartAt(absl::string_view spec) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--start_at must be an RFC 3339 time (e.g. 2026-11-25T14:00:00Z) or "
        "unix seconds, got \"",
        spec, "\"", why.empty() ? "" : ": ", why));
  };
  if (spec.empty()) {
    return bad("empty");
  }
  if (std::all_of(spec.begin(), spec.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.';
      })) {
    double seconds = 0;
    // Up to the year 9999: beyond it is a typo (or milliseconds).
    if (!absl::SimpleAtod(spec, &seconds) || !std::isfinite(seconds) ||
        seconds > 253402300799.0) {
      return bad("not a number of seconds up to the year 9999");
    }
    return absl::UnixEpoch() + absl::Seconds(seconds);
  }
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(spec), &time, &error)) {
    return bad(error);
  }
  if (time == absl::InfiniteFuture() || time == absl::InfinitePast() ||
      time < absl::UnixEpoch() || time > absl::FromUnixSeconds(253402300799)) {
    return bad("out of range");
  }
  return time;
}

std::string FormatRfc3339Utc(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", time, absl::UTCTimeZone());
}

absl::Status CheckStartAt(absl::Time start_at, absl::Time now) {
  if (now - start_at <= kMostStartLateness) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "--start_at ", FormatRfc3339Utc(start_at), " is ",
      absl::FormatDuration(
          absl::Trunc(now - start_at, absl::Milliseconds(100))),
      " in the past (more than ", absl::FormatDuration(kMostStartLateness),
      "): this shard would run misaligned with the others and corrupt the "
      "merge"));
}

absl::StatusOr<MetricsUrl> ParseMetricsUrl(absl::string_view spec) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_url must be NAME=http://HOST:PORT/PATH (e.g. "
                     "sync=http://127.0.0.1:9464/metrics), got \"",
                     spec, "\": ", why));
  };
  MetricsUrl out;
  const size_t eq = spec.find('=');
  if (eq == absl::string_view::npos || eq == 0) {
    return bad("no NAME= before the URL");
  }
  out.target = std::string(spec.substr(0, eq));
  absl::string_view url = spec.substr(eq + 1);
  out.url = std::string(url);
  if (!absl::ConsumePrefix(&url, "http://")) {
    return bad(absl::StartsWith(url, "https://")
                   ? "https is not supported (plain HTTP only)"
                   : "the URL must start with http://");
  }
  if (std::any_of(url.begin(), url.end(),
                  [](char c) { return c <= ' ' || c == 0x7f || c == '#'; })) {
    return bad("spaces, control characters and fragments are not allowed");
  }
  const size_t slash = url.find('/');
  absl::string_view authority = url.substr(0, slash);
  if (slash != absl::string_view::npos) {
    out.path = std::string(url.substr(slash));
  }
  if (absl::StrContains(authority, '@')) {
    return bad("user info is not supported");
  }
  absl::string_view host = authority;
  absl::string_view port;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return bad("unclosed [ in an IPv6 address");
    }
    host = authority.substr(1, close - 1);
    absl::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !absl::ConsumePrefix(&rest, ":")) {
      return bad("junk after the IPv6 address");
    }
    port = rest;
  } else if (const size_t colon = authority.rfind(':');
             colon != absl::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() ||
      absl::StrContains(host, ':') != absl::StartsWith(authority, "[")) {
    return bad("no host");
  }
  out.host = std::string(host);
  if (!port.empty() || absl::EndsWith(authority, ":")) {
    if (!absl::SimpleAtoi(port, &out.port) || out.port <= 0 ||
        out.port > 65535) {
      return bad("the port must be a number from 1 to 65535");
    }
  }
  return out;
}

absl::StatusOr<CpuPid> ParseCpuPid(absl::string_view spec) {
  const size_t eq = spec.find('=');
  CpuPid out;
  if (eq == absl::string_view::npos || eq == 0 ||
      !absl::SimpleAtoi(spec.substr(eq + 1), &out.pid) || out.pid <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--cpu_pid must be NAME=PID, NAME a --target's name or \"db\" and PID "
        "a process id (e.g. db=1234), got \"",
        spec, "\""));
  }
  out.name = std::string(spec.substr(0, eq));
  return out;
}

}  // namespace asyncgrpc::loadgen
