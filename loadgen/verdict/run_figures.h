// What one whole run of one target says, reduced to the figures a verdict
// compares: its capacity under the SLO, its best throughput of successful
// calls, how it failed (and what its server's metrics said then), and its CPU
// per call by process at a given load. Pure functions of results.json.
//
//   Arm arm = ArmOf(results.targets(0));
//   for (const RunFigures& figures : arm.figures) {
//     if (figures.failure.kind == "RESOURCE_EXHAUSTED") ...
//   }
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

// How a run first failed on its ramp.
struct Failure {
  // The status code name with the most failures from error onset on;
  // "latency" when the run slowed down or missed the SLO without errors;
  // empty when it did neither within the ramp.
  std::string kind;
  // Where: the error onset, else the first slowdown or SLO miss.
  std::optional<double> load;
  // Failed calls of `kind` and of every code, from the onset on.
  int64_t failed_of_kind = 0;
  int64_t failed = 0;
  // The server's own view at the onset step (absent without --metrics_url).
  std::optional<double> threads;
  std::optional<double> connections_in_use;
  std::optional<double> connections_total;
  std::optional<double> waiting_for_connection;
  // How many calls of `kind` the server itself counted from the onset on.
  std::optional<double> server_counted_of_kind;
  // Cores each measured process kept busy over the onset step ("server",
  // "PostgreSQL", "loadgen"; from --cpu_pid or the metrics endpoint), and
  // the machine's cores.
  std::map<std::string, double> cores_by_process;
  int machine_cpus = 0;
  // True when the onset step was invalid (loadgen the bottleneck): nothing
  // about the failure is claimed then.
  bool onset_invalid = false;
};

struct RunFigures {
  // capacity.status; empty without --slo.
  std::string capacity_status;
  // summary.capacity: with "within_precision" the highest load that met the
  // SLO, with "at_least_ramp_end" a lower bound.
  std::optional<double> capacity;
  // The most successful calls per second of any valid ramp step.
  std::optional<double> peak_goodput;
  Failure failure;
};

// `machine_cpus`: the cores of the machine the run measured.
RunFigures FiguresOf(const ::loadgen::v1::TargetResult& run, int machine_cpus);

// One target of the verdict: its whole runs (its repeats, or itself when it
// ran once) and each run's figures.
struct Arm {
  std::string name;
  std::vector<const ::loadgen::v1::TargetResult*> runs;
  std::vector<RunFigures> figures;
};

Arm ArmOf(const ::loadgen::v1::TargetResult& target, int machine_cpus);

// The load of a ramp step, in the run's unit (users or calls/s).
double LoadOf(const ::loadgen::v1::Step& step);

// True when the step was valid, had no failed call and (when judged) met the
// SLO.
bool RanClean(const ::loadgen::v1::Step& step);

// The run's ramp step at `load`, if it ran one.
const ::loadgen::v1::Step* StepAt(const ::loadgen::v1::TargetResult& run,
                                  double load);

}  // namespace asyncgrpc::loadgen
