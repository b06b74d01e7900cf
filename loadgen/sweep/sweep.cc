#include "loadgen/sweep/sweep.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "loadgen/sweep/crossover.h"
#include "loadgen/sweep/sweep_point.h"
#include "loadgen/sweep/sweep_verdict.h"
#include "loadgen/sweep/value.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

std::string TargetNames(const pb::Results& results) {
  std::vector<std::string> names;
  for (const pb::TargetResult& target : results.targets()) {
    names.push_back(target.name());
  }
  return absl::StrJoin(names, ",");
}

// Every input a two-target run like the first one.
absl::Status CheckInputs(const std::vector<SweepInput>& inputs) {
  if (inputs.empty()) {
    return absl::InvalidArgumentError("a sweep needs at least one VALUE=DIR");
  }
  std::set<std::string> seen;
  const pb::Results& first = inputs.front().results;
  for (const SweepInput& input : inputs) {
    const pb::Results& r = input.results;
    std::string problem;
    if (r.targets_size() != 2) {
      problem = absl::StrFormat("has %d targets, not 2", r.targets_size());
    } else if (TargetNames(r) != TargetNames(first) ||
               r.config().mode() != first.config().mode()) {
      problem =
          absl::StrCat("ran targets ", TargetNames(r), " (", r.config().mode(),
                       " loop), unlike the first value's");
    } else if (!seen.insert(input.value).second) {
      problem = "is given twice";
    }
    if (!problem.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "sweep value ", input.value, " (", input.directory, ") ", problem));
    }
  }
  return absl::OkStatus();
}

// The SLO all values shared, or each value's in words.
std::string SloOf(const std::vector<SweepInput>& inputs,
                  const std::vector<std::pair<double, size_t>>& order) {
  const std::string& lowest =
      inputs[order.front().second].results.config().slo();
  const std::string& highest =
      inputs[order.back().second].results.config().slo();
  for (const SweepInput& input : inputs) {
    if (input.results.config().slo() != lowest) {
      return absl::StrCat("of each value (", lowest, " at ",
                          inputs[order.front().second].value, " to ", highest,
                          " at ", inputs[order.back().second].value, ")");
    }
  }
  return lowest;
}

int RunsOf(const pb::Results& results) {
  int runs = 0;
  for (const pb::TargetResult& target : results.targets()) {
    const int n = std::max(1, target.repeats_size());
    runs = runs == 0 ? n : std::min(runs, n);
  }
  return runs;
}

}  // namespace

absl::StatusOr<pb::Results> BuildSweep(const std::string& name,
                                       std::vector<SweepInput> inputs,
                                       const std::string& description) {
  if (absl::Status status = CheckInputs(inputs); !status.ok()) {
    return status;
  }
  pb::Results out;
  pb::Sweep& sweep = *out.mutable_sweep();
  sweep.set_name(name);
  std::vector<std::pair<double, size_t>> order;
  for (size_t i = 0; i < inputs.size(); ++i) {
    absl::StatusOr<SweptValue> value = ParseSweptValue(inputs[i].value);
    if (!value.ok()) {
      return value.status();
    }
    if (i > 0 && value->unit != sweep.unit()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "sweep values mix durations and counts: ", inputs[0].value, " and ",
          inputs[i].value));
    }
    sweep.set_unit(value->unit);
    order.emplace_back(value->number, i);
  }
  std::sort(order.begin(), order.end());
  const pb::Results& first = inputs.front().results;
  sweep.set_baseline(first.targets(0).name());
  sweep.set_challenger(first.targets(1).name());
  sweep.set_load_unit(first.config().mode() == "open" ? "calls/s" : "users");
  sweep.set_slo(SloOf(inputs, order));
  int runs = 0;
  for (const auto& [number, i] : order) {
    const SweepInput& input = inputs[i];
    pb::SweepPoint point = PointOf(input.value, input.directory, input.results);
    point.set_value_number(number);
    point.set_slo(input.results.config().slo());
    *sweep.add_points() = std::move(point);
    runs = runs == 0 ? RunsOf(input.results)
                     : std::min(runs, RunsOf(input.results));
  }
  *sweep.mutable_crossover() = FindCrossover(sweep, runs);
  *out.mutable_config() = first.config();
  out.mutable_config()->set_description(description);
  *out.mutable_environment() = first.environment();
  *out.mutable_verdict() =
      SweepVerdict(sweep, inputs[order.back().second].results, runs);
  return out;
}

}  // namespace asyncgrpc::loadgen
