#include "loadgen/verdict/run_figures.h"

#include <algorithm>

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

std::optional<double> Gauge(const pb::ServerMetrics& metrics,
                            const std::string& key) {
  const auto it = metrics.gauges().find(key);
  if (it == metrics.gauges().end()) {
    return std::nullopt;
  }
  return it->second;
}

// What the target's first metrics endpoint said at `step`.
void ReadServerView(const pb::Step& step, Failure& failure) {
  if (step.server_metrics().empty() ||
      !step.server_metrics(0).error().empty()) {
    return;
  }
  const pb::ServerMetrics& metrics = step.server_metrics(0);
  failure.threads = Gauge(metrics, "asyncgrpc_threads");
  failure.waiting_for_connection = Gauge(metrics, "asyncgrpc_db_waiting");
  const std::optional<double> in_use =
      Gauge(metrics, "asyncgrpc_db_connections{state=\"in_use\"}");
  const std::optional<double> idle =
      Gauge(metrics, "asyncgrpc_db_connections{state=\"idle\"}");
  failure.connections_in_use = in_use;
  if (in_use.has_value() && idle.has_value()) {
    failure.connections_total = *in_use + *idle;
  }
}

// The cores each process kept busy over `step`'s measured window.
void ReadCores(const pb::TargetResult& run, const pb::Step& step,
               Failure& failure) {
  if (step.rps() <= 0 || step.requests() <= 0) {
    return;
  }
  const double seconds = step.requests() / step.rps();
  for (const auto& [key, use] : step.processes()) {
    const std::string label = key == run.name() ? "server"
                              : key == "db"     ? "PostgreSQL"
                                                : key;
    failure.cores_by_process[label] = use.cpu_s() / seconds;
  }
}

// The dominant failure code over the steps from `onset_index` on, and what
// the servers counted of it.
void ReadErrorsFrom(const pb::TargetResult& run, int onset_index,
                    Failure& failure) {
  std::map<std::string, int64_t> by_code;
  double server_counted = 0;
  bool server_counts = false;
  for (const pb::Step& step : run.steps()) {
    if (step.index() < onset_index) {
      continue;
    }
    for (const auto& [code, count] : step.errors()) {
      by_code[code] += count;
      failure.failed += count;
    }
  }
  for (const auto& [code, count] : by_code) {
    if (count > failure.failed_of_kind) {
      failure.kind = code;
      failure.failed_of_kind = count;
    }
  }
  for (const pb::Step& step : run.steps()) {
    if (step.index() < onset_index || step.server_metrics().empty() ||
        !step.server_metrics(0).error().empty()) {
      continue;
    }
    server_counts = true;
    const auto& counted = step.server_metrics(0).rpcs_by_code();
    if (const auto it = counted.find(failure.kind); it != counted.end()) {
      server_counted += it->second;
    }
  }
  if (server_counts) {
    failure.server_counted_of_kind = server_counted;
  }
}

// The first step that slowed down past the threshold or missed the SLO.
const pb::Step* FirstLatencyMiss(const pb::TargetResult& run) {
  const pb::Summary& summary = run.summary();
  for (const pb::Step& step : run.steps()) {
    const bool slow =
        summary.has_slowdown_step() && step.index() == summary.slowdown_step();
    const bool missed = step.has_slo_met() && !step.slo_met();
    if (slow || missed) {
      return &step;
    }
  }
  return nullptr;
}

Failure FailureOf(const pb::TargetResult& run, int machine_cpus) {
  Failure failure;
  failure.machine_cpus = machine_cpus;
  const pb::Step* onset = nullptr;
  if (run.summary().has_errors_step()) {
    for (const pb::Step& step : run.steps()) {
      if (step.index() == run.summary().errors_step()) {
        onset = &step;
      }
    }
    if (onset != nullptr) {
      ReadErrorsFrom(run, onset->index(), failure);
    }
  } else if ((onset = FirstLatencyMiss(run)) != nullptr) {
    failure.kind = "latency";
  }
  if (onset == nullptr) {
    return failure;
  }
  failure.load = LoadOf(*onset);
  failure.onset_invalid = !onset->valid();
  ReadServerView(*onset, failure);
  ReadCores(run, *onset, failure);
  return failure;
}

}  // namespace

Arm ArmOf(const pb::TargetResult& target, int machine_cpus) {
  Arm arm{.name = target.name()};
  for (const pb::TargetResult& run : target.repeats()) {
    arm.runs.push_back(&run);
  }
  if (arm.runs.empty()) {
    arm.runs.push_back(&target);
  }
  for (const pb::TargetResult* run : arm.runs) {
    arm.figures.push_back(FiguresOf(*run, machine_cpus));
  }
  return arm;
}

double LoadOf(const pb::Step& step) {
  return step.users() > 0 ? step.users() : step.rate();
}

bool RanClean(const pb::Step& step) {
  return step.valid() && step.requests() > 0 && step.ok() == step.requests() &&
         !(step.has_slo_met() && !step.slo_met());
}

const pb::Step* StepAt(const pb::TargetResult& run, double load) {
  for (const pb::Step& step : run.steps()) {
    if (LoadOf(step) == load) {
      return &step;
    }
  }
  return nullptr;
}

RunFigures FiguresOf(const pb::TargetResult& run, int machine_cpus) {
  RunFigures figures;
  figures.capacity_status = run.capacity().status();
  if (run.summary().has_capacity()) {
    figures.capacity = run.summary().capacity();
  }
  for (const pb::Step& step : run.steps()) {
    if (!step.valid() || step.requests() <= 0) {
      continue;
    }
    const double goodput = step.rps() * step.ok() / step.requests();
    figures.peak_goodput = std::max(figures.peak_goodput.value_or(0), goodput);
  }
  figures.failure = FailureOf(run, machine_cpus);
  return figures;
}

}  // namespace asyncgrpc::loadgen
