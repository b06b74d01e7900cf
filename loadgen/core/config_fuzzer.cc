// libFuzzer target for loadgen's command line: the bytes, as a string, go
// through ParseRamp (whole and not), ParseTarget, ParseScenario, ParseStartAt,
// ParseMetricsUrl, ParseSlo and ParseSloPrecision, and, as each of those
// flags, through MakeRunConfig;
// whatever parses must satisfy what notation.h and config.h promise.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "loadgen/core/config.h"
#include "loadgen/core/notation.h"

namespace asyncgrpc::loadgen {
namespace {

void Check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

bool Whole(double value) { return value == std::floor(value); }

void FuzzRamp(absl::string_view spec, bool whole) {
  absl::StatusOr<Ramp> ramp = ParseRamp("--users", spec, whole);
  if (!ramp.ok()) {
    Check(ramp.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  Check(std::isfinite(ramp->start) && std::isfinite(ramp->end) &&
        std::isfinite(ramp->step));
  Check(ramp->start > 0 && ramp->end >= ramp->start && ramp->step > 0);
  if (whole) {
    Check(Whole(ramp->start) && Whole(ramp->end) && Whole(ramp->step));
  }
  const std::vector<double> levels = ramp->Levels();
  Check(!levels.empty() && levels.size() <= 1000);
  Check(levels.front() == ramp->start);
  for (size_t i = 1; i < levels.size(); ++i) {
    Check(levels[i] > levels[i - 1]);
  }
  Check(levels.back() <= ramp->end + ramp->step * 1e-9);
}

void FuzzTarget(absl::string_view spec) {
  absl::StatusOr<Target> target = ParseTarget(spec);
  if (!target.ok()) {
    Check(target.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  Check(!target->name.empty() && !target->address.empty());
  const size_t eq = spec.find('=');
  if (eq == absl::string_view::npos) {
    Check(target->name == spec && target->address == spec);
  } else {
    Check(target->name == spec.substr(0, eq) &&
          target->address == spec.substr(eq + 1));
  }
  const absl::string_view address = target->address;
  const size_t colon = address.rfind(':');
  Check(colon != absl::string_view::npos && colon > 0);
  int port = 0;
  Check(absl::SimpleAtoi(address.substr(colon + 1), &port) && port > 0 &&
        port <= 65535);
}

void FuzzScenario(absl::string_view spec) {
  absl::StatusOr<Scenario> scenario = ParseScenario(spec);
  if (!scenario.ok()) {
    Check(scenario.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  Check(scenario->spec == spec);
  Check(!scenario->actions.empty());
  Check(scenario->weights.size() == scenario->actions.size());
  // Cumulative weights: a zero weight is allowed, so non-decreasing; the
  // total is what a uniform pick is scaled by, so it must be positive and
  // finite.
  double previous = 0;
  for (double weight : scenario->weights) {
    Check(weight >= previous);
    previous = weight;
  }
  Check(scenario->weights.back() > 0 &&
        std::isfinite(scenario->weights.back()));
}

void FuzzStartAt(absl::string_view spec) {
  absl::StatusOr<absl::Time> time = ParseStartAt(spec);
  if (!time.ok()) {
    Check(time.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  Check(*time >= absl::UnixEpoch() &&
        *time <= absl::FromUnixSeconds(253402300800));
  // What results.json records parses back to the same time (to the
  // nanosecond: absl::Time is finer).
  absl::StatusOr<absl::Time> again = ParseStartAt(FormatRfc3339Utc(*time));
  Check(again.ok() && absl::AbsDuration(*again - *time) < absl::Nanoseconds(1));
}

void FuzzMetricsUrl(absl::string_view spec) {
  absl::StatusOr<MetricsUrl> url = ParseMetricsUrl(spec);
  if (!url.ok()) {
    Check(url.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  Check(!url->target.empty() && !url->host.empty());
  Check(url->port > 0 && url->port <= 65535);
  Check(!url->path.empty() && url->path[0] == '/');
  Check(spec == url->target + "=" + url->url);
  for (char c : url->host + url->path) {
    Check(c > ' ' && c != 0x7f && c != '#');
  }
}

void FuzzSlo(absl::string_view spec) {
  absl::StatusOr<Slo> slo = ParseSlo(spec);
  if (!slo.ok()) {
    Check(slo.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  Check(!slo->latency.empty() || slo->most_error_ratio.has_value());
  for (const LatencyBound& bound : slo->latency) {
    Check(bound.most_ms > 0 && std::isfinite(bound.most_ms));
  }
  if (slo->most_error_ratio.has_value()) {
    Check(*slo->most_error_ratio >= 0 && *slo->most_error_ratio <= 1);
  }
  absl::StatusOr<double> precision = ParseSloPrecision(spec);
  Check(!precision.ok() || (*precision > 0 && *precision <= 0.5));
}

// The bytes as the value of one flag of an otherwise valid command line.
RunFlags WithSpecAs(int flag, absl::string_view spec) {
  RunFlags flags{.targets = {"a=127.0.0.1:1"}, .users = "1"};
  switch (flag) {
    case 0:
      flags.targets.emplace_back(spec);
      break;
    case 1:
      flags.users = std::string(spec);
      break;
    case 2:
      flags.users.clear();
      flags.rate = std::string(spec);
      break;
    case 3:
      flags.start_at = std::string(spec);
      break;
    case 4:
      flags.slo = std::string(spec);
      break;
    default:
      flags.metrics_urls.emplace_back(spec);
      break;
  }
  return flags;
}

void FuzzRunConfig(absl::string_view spec) {
  const absl::Time now = absl::FromUnixSeconds(1795615200);
  for (int flag = 0; flag <= 5; ++flag) {
    absl::StatusOr<RunConfig> config =
        MakeRunConfig(WithSpecAs(flag, spec), now);
    if (!config.ok()) {
      Check(config.status().code() == absl::StatusCode::kInvalidArgument);
      continue;
    }
    Check(!config->targets.empty() && !config->ramp.Levels().empty());
    Check(config->ramp.end <=
          (config->mode == Mode::kClosed ? 100'000 : 1'000'000));
    Check(!config->out_dir.empty());
    if (config->start_at.has_value()) {
      Check(now - *config->start_at <= kMostStartLateness);
    }
  }
}

}  // namespace
}  // namespace asyncgrpc::loadgen

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view spec(reinterpret_cast<const char*>(data), size);
  asyncgrpc::loadgen::FuzzRamp(spec, /*whole=*/true);
  asyncgrpc::loadgen::FuzzRamp(spec, /*whole=*/false);
  asyncgrpc::loadgen::FuzzTarget(spec);
  asyncgrpc::loadgen::FuzzScenario(spec);
  asyncgrpc::loadgen::FuzzStartAt(spec);
  asyncgrpc::loadgen::FuzzMetricsUrl(spec);
  asyncgrpc::loadgen::FuzzSlo(spec);
  asyncgrpc::loadgen::FuzzRunConfig(spec);
  return 0;
}
