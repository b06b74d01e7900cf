#include "loadgen/config.h"

#include <cmath>

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

}  // namespace asyncgrpc::loadgen
