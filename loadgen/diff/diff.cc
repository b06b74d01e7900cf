#include "loadgen/diff/diff.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "loadgen/diff/mann_whitney.h"
#include "loadgen/diff/same_config.h"
#include "loadgen/diff/samples.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

double Figure(Metric metric, const pb::Step& step) {
  switch (metric) {
    case Metric::kRps:
      return step.rps();
    case Metric::kP50:
      return step.p50_ms();
    case Metric::kP95:
      return step.p95_ms();
    case Metric::kP99:
      return step.p99_ms();
  }
  return 0;
}

const std::vector<double>& SamplesFor(Metric metric, const StepSamples& s) {
  switch (metric) {
    case Metric::kRps:
      return s.rps;
    case Metric::kP50:
      return s.p50_ms;
    case Metric::kP95:
      return s.p95_ms;
    case Metric::kP99:
      return s.p99_ms;
  }
  return s.rps;
}

MetricDiff CompareMetric(Metric metric, const pb::Step& a, const pb::Step& b,
                         const StepSamples& samples_a,
                         const StepSamples& samples_b) {
  MetricDiff diff;
  diff.a = Figure(metric, a);
  diff.b = Figure(metric, b);
  if (diff.a != 0) {
    diff.change_pct = (diff.b - diff.a) / diff.a * 100;
  } else if (diff.b == 0) {
    diff.change_pct = 0;
  }
  const std::vector<double>& x = SamplesFor(metric, samples_a);
  const std::vector<double>& y = SamplesFor(metric, samples_b);
  diff.tested = std::ssize(x) >= kMinSamples && std::ssize(y) >= kMinSamples;
  if (!diff.tested) {
    return diff;
  }
  const MannWhitney test = MannWhitneyU(x, y);
  diff.p_value = test.p_value;
  // Significant only when the per-second samples shift the way the step's
  // figure moved: the two can disagree (a step's p99 comes from all its
  // calls, not from its seconds), and then there is no clear change to name.
  const bool up = test.z > 0 && diff.b > diff.a;
  const bool down = test.z < 0 && diff.b < diff.a;
  if (test.p_value < kAlpha && (up || down)) {
    const bool higher_is_worse = metric != Metric::kRps;
    diff.change = up == higher_is_worse ? Change::kWorse : Change::kBetter;
  }
  return diff;
}

StepDiff CompareStep(const pb::Results& a, const pb::TargetResult& target_a,
                     const pb::Step& step_a, const pb::Results& b,
                     const pb::TargetResult& target_b, const pb::Step& step_b) {
  StepDiff diff;
  diff.index = step_a.index();
  diff.load = a.config().mode() == "open" ? step_a.rate() : step_a.users();
  const StepSamples samples_a = SamplesOf(a.config(), target_a, step_a);
  const StepSamples samples_b = SamplesOf(b.config(), target_b, step_b);
  diff.seconds_a = samples_a.seconds;
  diff.seconds_b = samples_b.seconds;
  for (Metric metric : kMetrics) {
    diff.metrics[static_cast<int>(metric)] =
        CompareMetric(metric, step_a, step_b, samples_a, samples_b);
  }
  return diff;
}

TargetDiff CompareTarget(const pb::Results& a, const pb::TargetResult& target_a,
                         const pb::Results& b,
                         const pb::TargetResult& target_b) {
  TargetDiff diff;
  diff.name = target_a.name();
  diff.steps_a = target_a.steps_size();
  diff.steps_b = target_b.steps_size();
  std::map<int, const pb::Step*> steps_b;
  for (const pb::Step& step : target_b.steps()) {
    steps_b.emplace(step.index(), &step);
  }
  for (const pb::Step& step_a : target_a.steps()) {
    const auto it = steps_b.find(step_a.index());
    if (it != steps_b.end()) {
      diff.steps.push_back(
          CompareStep(a, target_a, step_a, b, target_b, *it->second));
    }
  }
  return diff;
}

}  // namespace

absl::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kRps:
      return "rps";
    case Metric::kP50:
      return "p50";
    case Metric::kP95:
      return "p95";
    case Metric::kP99:
      return "p99";
  }
  return "?";
}

absl::StatusOr<DiffReport> DiffResults(const pb::Results& a,
                                       const pb::Results& b) {
  if (absl::Status same = CheckSameConfig(a, b); !same.ok()) {
    return same;
  }
  DiffReport report;
  report.load_name = a.config().mode() == "open" ? "rate" : "users";
  for (const pb::TargetResult& target_a : a.targets()) {
    const auto target_b = std::find_if(
        b.targets().begin(), b.targets().end(),
        [&](const pb::TargetResult& t) { return t.name() == target_a.name(); });
    report.targets.push_back(CompareTarget(a, target_a, b, *target_b));
  }
  return report;
}

double WorseningPct(Metric metric, const MetricDiff& diff) {
  const double sign = metric == Metric::kRps ? -1 : 1;
  if (diff.change_pct.has_value()) {
    return sign * *diff.change_pct;
  }
  return sign * std::copysign(std::numeric_limits<double>::infinity(),
                              diff.b - diff.a);
}

bool Regressed(const DiffReport& report, double pct) {
  for (const TargetDiff& target : report.targets) {
    for (const StepDiff& step : target.steps) {
      for (Metric metric : kMetrics) {
        const MetricDiff& diff = step.metrics[static_cast<int>(metric)];
        if (diff.change == Change::kWorse && WorseningPct(metric, diff) > pct) {
          return true;
        }
      }
    }
  }
  return false;
}

}  // namespace asyncgrpc::loadgen
