#include "loadgen/sweep/crossover.h"

#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "loadgen/core/spread.h"
#include "loadgen/verdict/figure_range.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

constexpr double kUnbounded = std::numeric_limits<double>::infinity();

// One run's capacity as the rule reads it, erring against the challenger;
// nullopt when the run's search did not decide (or there was no SLO).
std::optional<double> RuleCapacity(const RunFigures& figures,
                                   const pb::TargetResult& run,
                                   bool is_baseline) {
  const std::string& status = figures.capacity_status;
  if (status == "within_precision" && figures.capacity.has_value()) {
    return figures.capacity;
  }
  if (status == "at_least_ramp_end") {
    return is_baseline ? std::optional(kUnbounded) : figures.capacity;
  }
  if (status == "below_ramp_start") {
    return is_baseline ? std::optional(run.capacity().missed_at()) : 0.0;
  }
  return std::nullopt;
}

// The arm's capacities by the rule, or the reason they cannot be judged.
std::optional<std::vector<double>> RuleCapacities(const Arm& arm,
                                                  bool is_baseline,
                                                  std::string& why_not) {
  std::vector<double> values;
  for (size_t i = 0; i < arm.figures.size(); ++i) {
    const std::optional<double> value =
        RuleCapacity(arm.figures[i], *arm.runs[i], is_baseline);
    if (!value.has_value()) {
      why_not =
          absl::StrFormat("%s's capacity search did not decide in run %d of %d",
                          arm.name, i + 1, arm.figures.size());
      return std::nullopt;
    }
    values.push_back(*value);
  }
  return values;
}

std::string ValueList(const pb::Sweep& sweep, const std::vector<int>& at) {
  std::vector<std::string> values;
  for (int i : at) {
    values.push_back(sweep.points(i).value());
  }
  return absl::StrJoin(values, ", ");
}

std::string RunsLabel(int runs) {
  if (runs == 1) {
    return "Single run per value, so not a claim: ";
  }
  if (runs < kRunsToCompare) {
    return absl::StrFormat("%d runs per value, too few for a claim: ", runs);
  }
  return "";
}

std::vector<std::string> CrossoverRules() {
  return {
      "At each value, each arm's capacity under the SLO is taken per run from "
      "its capacity search. Where a run gives only a bound, the rule errs "
      "against the challenger: a baseline that met the SLO up to the ramp's "
      "end counts as unbounded, one that missed it at the ramp's first step "
      "as that step's load; a challenger that met it to the ramp's end counts "
      "as the ramp's end, one that missed it at the first step as 0.",
      "The challenger pays at a value when its median capacity is at least "
      "1.2x the baseline's and its lowest run is above the baseline's "
      "highest (ranges separate).",
      "The crossover is the lowest swept value from which the challenger "
      "pays at every value above; failing that, the highest value up to "
      "which it pays at every value below (a knob that helps the baseline as "
      "it grows). With fewer than 3 runs per value it is reported, labelled, "
      "and not claimed.",
  };
}

}  // namespace

void JudgePoint(const Arm& baseline, const Arm& challenger,
                pb::SweepPoint& point) {
  std::string why_not;
  const auto b = RuleCapacities(baseline, /*is_baseline=*/true, why_not);
  const auto c =
      why_not.empty()
          ? RuleCapacities(challenger, /*is_baseline=*/false, why_not)
          : std::nullopt;
  point.set_pays(false);
  if (!b.has_value() || !c.has_value()) {
    point.set_judgement(absl::StrCat("not judged: ", why_not));
    return;
  }
  const FigureRange rb = FigureRange::Of(*b, static_cast<int>(b->size()));
  const FigureRange rc = FigureRange::Of(*c, static_cast<int>(c->size()));
  if (rb.median == kUnbounded || rb.median <= 0) {
    point.set_judgement(absl::StrFormat(
        "not judged: %s met the SLO up to the ramp's end in most runs "
        "(raise the ramp's end)",
        baseline.name));
    return;
  }
  const double ratio = rc.median / rb.median;
  point.set_capacity_ratio(ratio);
  const bool separate = rc.min > rb.max;
  point.set_pays(ratio >= kPaysRatio && separate);
  point.set_judgement(absl::StrFormat(
      "%s %.2fx %s's capacity: %s", challenger.name, ratio, baseline.name,
      point.pays()           ? "pays (at least 1.2x, ranges separate)"
      : ratio < kPaysRatio   ? "below 1.2x"
      : rb.max == kUnbounded ? "a baseline run met the SLO to the ramp's end"
                             : "ranges overlap"));
}

pb::Crossover FindCrossover(const pb::Sweep& sweep, int runs) {
  pb::Crossover crossover;
  for (std::string& rule : CrossoverRules()) {
    crossover.add_rules(std::move(rule));
  }
  const int n = sweep.points_size();
  int from = n;
  while (from > 0 && sweep.points(from - 1).pays()) {
    --from;
  }
  const std::string claim = absl::StrFormat(
      "%s%s's capacity under the SLO %s exceeds %s's by at least 20%% with "
      "separate ranges",
      RunsLabel(runs), sweep.challenger(), sweep.slo(), sweep.baseline());
  if (from < n) {
    const pb::SweepPoint& at = sweep.points(from);
    crossover.set_found(true);
    crossover.set_from_value(at.value());
    crossover.set_statement(absl::StrFormat(
        "%s from %s = %s on (%.2fx there%s).", claim, sweep.name(), at.value(),
        at.capacity_ratio(),
        from == 0       ? "; the lowest value swept, so perhaps below it too"
        : from == n - 1 ? "; the highest value swept, so not shown to hold "
                          "above it"
                        : ""));
    return crossover;
  }
  int up_to = -1;
  while (up_to + 1 < n && sweep.points(up_to + 1).pays()) {
    ++up_to;
  }
  if (up_to >= 0) {
    const pb::SweepPoint& at = sweep.points(up_to);
    crossover.set_found(true);
    crossover.set_up_to_value(at.value());
    crossover.set_statement(
        absl::StrFormat("%s at every %s up to %s (%.2fx there), not above it.",
                        claim, sweep.name(), at.value(), at.capacity_ratio()));
    return crossover;
  }
  std::vector<int> paid;
  for (int i = 0; i < n; ++i) {
    if (sweep.points(i).pays()) {
      paid.push_back(i);
    }
  }
  crossover.set_statement(absl::StrCat(
      absl::StrReplaceAll(claim, {{"exceeds", "does not exceed"}}),
      " from any ", sweep.name(),
      " on, nor up to any, within the swept range (",
      n > 0 ? sweep.points(0).value() : "", " to ",
      n > 0 ? sweep.points(n - 1).value() : "", ")",
      paid.empty()
          ? ""
          : absl::StrCat("; it did at ", ValueList(sweep, paid), " only"),
      "."));
  return crossover;
}

}  // namespace asyncgrpc::loadgen
