#include "loadgen/core/summary.h"

#include <optional>
#include <string>
#include <vector>

namespace asyncgrpc::loadgen {

namespace pb = ::loadgen::v1;

void FillLatency(const Histogram& h, pb::Latency* out) {
  out->set_p50_ms(Ms(h.ValueAtPercentile(50)));
  out->set_p90_ms(Ms(h.ValueAtPercentile(90)));
  out->set_p95_ms(Ms(h.ValueAtPercentile(95)));
  out->set_p99_ms(Ms(h.ValueAtPercentile(99)));
  out->set_p999_ms(Ms(h.ValueAtPercentile(99.9)));
  out->set_max_ms(Ms(h.max()));
  out->set_mean_ms(h.Mean() / 1000.0);
}

void SetStepLatency(const Histogram& h, pb::Step* step) {
  pb::Latency latency;
  FillLatency(h, &latency);
  step->set_p50_ms(latency.p50_ms());
  step->set_p90_ms(latency.p90_ms());
  step->set_p95_ms(latency.p95_ms());
  step->set_p99_ms(latency.p99_ms());
  step->set_p999_ms(latency.p999_ms());
  step->set_max_ms(latency.max_ms());
}

StepPoint PointOf(const pb::Step& step, bool open_loop) {
  return {.load = open_loop ? step.rate() : static_cast<double>(step.users()),
          .p50_ms = step.p50_ms(),
          .p95_ms = step.p95_ms(),
          .rps = step.rps(),
          .error_ratio = step.error_ratio(),
          .requests = step.requests(),
          .valid = step.valid()};
}

DetectionRules RulesOf(const pb::Config& config) {
  return {.slowdown_factor = config.slowdown_factor(),
          .slowdown_floor_ms = config.slowdown_floor_ms(),
          .error_threshold = config.error_threshold(),
          .closed_loop = config.mode() != "open",
          .think_time_s = config.think_time_s()};
}

void SetPerCall(const std::string& target, pb::Step* step) {
  auto& processes = *step->mutable_processes();
  if (!processes.contains(target)) {
    for (const pb::ServerMetrics& metrics : step->server_metrics()) {
      if (metrics.has_process_cpu_cores()) {
        pb::ProcessUse& use = processes[target];
        use.set_cpu_s(metrics.process_cpu_cores() * metrics.window_s());
        use.set_source("metrics");
        break;
      }
    }
  }
  step->clear_cpu_per_call_us();
  step->clear_context_switches_per_call();
  if (step->ok() <= 0) {
    return;
  }
  const double calls = static_cast<double>(step->ok());
  for (const auto& [name, use] : processes) {
    (*step->mutable_cpu_per_call_us())[name] = use.cpu_s() * 1e6 / calls;
    if (use.has_context_switches()) {
      (*step->mutable_context_switches_per_call())[name] =
          use.context_switches() / calls;
    }
  }
}

void Summarize(const DetectionRules& rules, bool open_loop,
               pb::TargetResult* target) {
  std::vector<StepPoint> points;
  for (pb::Step& step : *target->mutable_steps()) {
    SetPerCall(target->name(), &step);
    points.push_back(PointOf(step, open_loop));
  }
  for (pb::Step& probe : *target->mutable_capacity()->mutable_probes()) {
    SetPerCall(target->name(), &probe);
  }
  const Detection detection = Detect(points, rules);
  pb::Summary* summary = target->mutable_summary();
  summary->Clear();
  summary->set_max_rps(detection.max_rps);
  summary->set_baseline_p95_ms(detection.baseline_p95_ms);
  summary->set_slowdown_threshold_ms(detection.slowdown_threshold_ms);
  auto mark = [&](const std::optional<int>& step, auto set_at, auto set_step) {
    if (step.has_value()) {
      (summary->*set_at)(points[*step].load);
      (summary->*set_step)(*step);
    }
  };
  mark(detection.slowdown_step, &pb::Summary::set_slowdown_at,
       &pb::Summary::set_slowdown_step);
  mark(detection.errors_step, &pb::Summary::set_errors_at,
       &pb::Summary::set_errors_step);
  mark(detection.saturation_step, &pb::Summary::set_saturation_at,
       &pb::Summary::set_saturation_step);
  if (target->capacity().has_met_at()) {
    summary->set_capacity(target->capacity().met_at());
  }
}

}  // namespace asyncgrpc::loadgen
