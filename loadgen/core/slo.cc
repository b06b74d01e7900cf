#include "loadgen/core/slo.h"

#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

constexpr char kForm[] =
    "expected comma-separated pNN<=DURATION (p50, p90, p95, p99, p999) and "
    "errors<=PERCENT, e.g. \"p99<=50ms,errors<=0.1%\"";

absl::Status SloError(absl::string_view spec, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("--slo \"", spec, "\": ", why, "; ", kForm));
}

bool IsPercentile(absl::string_view name) {
  return name == "p50" || name == "p90" || name == "p95" || name == "p99" ||
         name == "p999";
}

// "0.1%" or "0" (a bare number must be 0: "errors<=1" is ambiguous).
std::optional<double> ParsePercent(absl::string_view text) {
  const bool percent = absl::ConsumeSuffix(&text, "%");
  double value = 0;
  if (!absl::SimpleAtod(text, &value) || !std::isfinite(value) || value < 0 ||
      value > 100 || (!percent && value != 0)) {
    return std::nullopt;
  }
  return value / 100;
}

double PercentileMs(const pb::Step& step, absl::string_view name) {
  if (name == "p50") return step.p50_ms();
  if (name == "p90") return step.p90_ms();
  if (name == "p95") return step.p95_ms();
  if (name == "p99") return step.p99_ms();
  return step.p999_ms();
}

}  // namespace

absl::StatusOr<Slo> ParseSlo(absl::string_view spec) {
  Slo slo{.spec = std::string(spec)};
  absl::flat_hash_set<std::string> seen;
  for (absl::string_view term : absl::StrSplit(spec, ',')) {
    std::pair<absl::string_view, absl::string_view> sides =
        absl::StrSplit(term, absl::MaxSplits("<=", 1));
    const std::string name(absl::StripAsciiWhitespace(sides.first));
    const absl::string_view bound = absl::StripAsciiWhitespace(sides.second);
    if (!absl::StrContains(term, "<=") || bound.empty()) {
      return SloError(spec, absl::StrCat("\"", term, "\" has no <= bound"));
    }
    if (!seen.insert(name).second) {
      return SloError(spec, absl::StrCat(name, " is given twice"));
    }
    if (name == "errors") {
      slo.most_error_ratio = ParsePercent(bound);
      if (!slo.most_error_ratio.has_value()) {
        return SloError(
            spec,
            absl::StrCat("\"", bound, "\" is not a percentage in 0..100%"));
      }
      continue;
    }
    absl::Duration most;
    if (!IsPercentile(name)) {
      return SloError(spec, absl::StrCat("unknown term \"", name, "\""));
    }
    if (!absl::ParseDuration(bound, &most) || most <= absl::ZeroDuration() ||
        most == absl::InfiniteDuration()) {
      return SloError(
          spec, absl::StrCat("\"", bound, "\" is not a positive duration"));
    }
    slo.latency.push_back({name, absl::ToDoubleMilliseconds(most)});
  }
  return slo;
}

std::string SloMiss(const Slo& slo, const pb::Step& step) {
  if (step.requests() == 0) {
    return "no calls finished";
  }
  std::vector<std::string> misses;
  for (const LatencyBound& bound : slo.latency) {
    const double ms = PercentileMs(step, bound.percentile);
    if (ms > bound.most_ms) {
      misses.push_back(absl::StrFormat("%s %.3g ms > %g ms", bound.percentile,
                                       ms, bound.most_ms));
    }
  }
  if (slo.most_error_ratio.has_value() &&
      step.error_ratio() > *slo.most_error_ratio) {
    misses.push_back(absl::StrFormat("errors %.3g%% > %g%%",
                                     100 * step.error_ratio(),
                                     100 * *slo.most_error_ratio));
  }
  return absl::StrJoin(misses, "; ");
}

absl::StatusOr<double> ParseSloPrecision(absl::string_view spec) {
  absl::string_view text = spec;
  const bool percent = absl::ConsumeSuffix(&text, "%");
  double value = 0;
  if (absl::SimpleAtod(text, &value) && std::isfinite(value)) {
    const double fraction = percent ? value / 100 : value;
    if (fraction > 0 && fraction <= 0.5) {
      return fraction;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--slo_precision must be in (0, 50%] (\"5%\" or \"0.05\"), got \"", spec,
      "\""));
}

}  // namespace asyncgrpc::loadgen
