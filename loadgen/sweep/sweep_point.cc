#include "loadgen/sweep/sweep_point.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "loadgen/sweep/crossover.h"
#include "loadgen/verdict/figure_range.h"
#include "loadgen/verdict/run_figures.h"
#include "loadgen/verdict/verdict.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

constexpr char kRssGauge[] = "process_resident_memory_bytes";

// The server's highest resident memory over the run's valid ramp steps, in
// MB, from its first metrics endpoint.
std::optional<double> PeakRssMb(const pb::TargetResult& run) {
  std::optional<double> peak;
  for (const pb::Step& step : run.steps()) {
    if (!step.valid() || step.server_metrics().empty()) {
      continue;
    }
    const auto& gauges = step.server_metrics(0).gauges();
    if (const auto it = gauges.find(kRssGauge); it != gauges.end()) {
      peak = std::max(peak.value_or(0), it->second / 1e6);
    }
  }
  return peak;
}

// A fact over the arm's runs of what `figure` reads from each run.
template <typename Figure>
pb::VerdictFact FactOver(const std::string& name, const Arm& arm,
                         const std::string& load_unit, Figure figure) {
  std::vector<double> values;
  for (size_t i = 0; i < arm.runs.size(); ++i) {
    if (const std::optional<double> v = figure(*arm.runs[i], arm.figures[i])) {
      values.push_back(*v);
    }
  }
  pb::VerdictFact fact = FactOf(
      name, arm.name, FigureRange::Of(values, static_cast<int>(values.size())));
  fact.set_load_unit(load_unit);
  return fact;
}

void AddArmFacts(const Arm& arm, const std::string& unit,
                 pb::SweepPoint& point) {
  *point.add_facts() = FactOver(
      "capacity", arm, unit,
      [](const pb::TargetResult&, const RunFigures& f) { return f.capacity; });
  *point.add_facts() =
      FactOver("errors_at", arm, unit,
               [](const pb::TargetResult& run, const RunFigures&) {
                 return run.summary().has_errors_at()
                            ? std::optional(run.summary().errors_at())
                            : std::nullopt;
               });
  *point.add_facts() = FactOver(
      "rss_mb", arm, "", [](const pb::TargetResult& run, const RunFigures&) {
        return PeakRssMb(run);
      });
  for (const RunFigures& figures : arm.figures) {
    point.add_capacity_status(figures.capacity_status);
  }
}

}  // namespace

pb::SweepPoint PointOf(const std::string& value, const std::string& directory,
                       const pb::Results& results) {
  pb::SweepPoint point;
  point.set_value(value);
  point.set_directory(directory);
  const int cpus = results.environment().cpus();
  const Arm baseline = ArmOf(results.targets(0), cpus);
  const Arm challenger = ArmOf(results.targets(1), cpus);
  const std::string unit =
      results.config().mode() == "open" ? "calls/s" : "users";
  for (const Arm* arm : {&baseline, &challenger}) {
    AddArmFacts(*arm, unit, point);
  }
  // Peak throughput, how each failed and CPU per call: as the run's verdict.
  const pb::Verdict verdict = BuildVerdict(results);
  for (const pb::VerdictFact& fact : verdict.facts()) {
    if (fact.name() != "capacity") {
      *point.add_facts() = fact;
    }
  }
  JudgePoint(baseline, challenger, point);
  return point;
}

}  // namespace asyncgrpc::loadgen
