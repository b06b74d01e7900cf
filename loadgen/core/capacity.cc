#include "loadgen/core/capacity.h"

#include <cmath>

#include "absl/strings/str_format.h"

namespace asyncgrpc::loadgen {
namespace {

// The load between `met` and `missed` to probe next, or nullopt when no load
// lies strictly between them.
std::optional<double> Midpoint(double met, double missed, bool whole) {
  double mid = (met + missed) / 2;
  if (whole) {
    mid = std::floor(mid);
  }
  if (mid <= met || mid >= missed) {
    return std::nullopt;
  }
  return mid;
}

// Brackets the capacity from the ramp alone.
CapacityResult JudgeRamp(const std::vector<Judgement>& ramp) {
  CapacityResult result;
  for (const Judgement& step : ramp) {
    if (!step.valid) {
      continue;
    }
    if (!step.met) {
      result.missed_at = step.load;
      result.status = result.met_at.has_value()
                          ? CapacityStatus::kWithinPrecision
                          : CapacityStatus::kBelowRampStart;
      return result;
    }
    result.met_at = step.load;
  }
  if (result.met_at.has_value()) {
    result.status = CapacityStatus::kAtLeastRampEnd;
  }
  return result;
}

}  // namespace

CapacityResult FindCapacity(const std::vector<Judgement>& ramp,
                            const CapacityOptions& options,
                            absl::FunctionRef<Judgement(double)> measure) {
  CapacityResult result = JudgeRamp(ramp);
  if (result.status != CapacityStatus::kWithinPrecision) {
    return result;
  }
  while (*result.missed_at - *result.met_at >
         options.precision * *result.met_at) {
    const std::optional<double> load =
        Midpoint(*result.met_at, *result.missed_at, options.whole_loads);
    if (!load.has_value()) {
      break;
    }
    const Judgement probe = measure(*load);
    result.probes.push_back(probe);
    if (!probe.valid) {
      result.status = CapacityStatus::kUndecided;
      break;
    }
    (probe.met ? result.met_at : result.missed_at) = *load;
  }
  return result;
}

std::string CapacityStatusName(CapacityStatus status) {
  switch (status) {
    case CapacityStatus::kWithinPrecision:
      return "within_precision";
    case CapacityStatus::kAtLeastRampEnd:
      return "at_least_ramp_end";
    case CapacityStatus::kBelowRampStart:
      return "below_ramp_start";
    case CapacityStatus::kUndecided:
      break;
  }
  return "undecided";
}

std::string DescribeCapacity(const CapacityResult& result,
                             const std::string& unit, double precision) {
  const double met = result.met_at.value_or(0);
  const double missed = result.missed_at.value_or(0);
  switch (result.status) {
    case CapacityStatus::kWithinPrecision:
      return absl::StrFormat(
          "capacity %.6g %s: met the SLO at %.6g, missed it at %.6g (%s, %d "
          "probe(s))",
          met, unit, met, missed,
          missed - met <= precision * met
              ? absl::StrFormat("within %g%%", 100 * precision)
              : absl::StrFormat("%.3g%% apart, no load between",
                                100 * (missed - met) / met),
          result.probes.size());
    case CapacityStatus::kAtLeastRampEnd:
      return absl::StrFormat(
          "capacity at least %.6g %s: no step of the ramp missed the SLO "
          "(extend the ramp to find it)",
          met, unit);
    case CapacityStatus::kBelowRampStart:
      return absl::StrFormat(
          "capacity below %.6g %s: the ramp's first step already missed the "
          "SLO (start the ramp lower to find it)",
          missed, unit);
    case CapacityStatus::kUndecided:
      break;
  }
  if (!result.probes.empty()) {
    return absl::StrFormat(
        "capacity undecided: between %.6g and %.6g %s when a probe at %.6g "
        "was invalid (loadgen was the bottleneck)",
        met, missed, unit, result.probes.back().load);
  }
  return "capacity undecided: no valid step to judge (loadgen was the "
         "bottleneck)";
}

}  // namespace asyncgrpc::loadgen
