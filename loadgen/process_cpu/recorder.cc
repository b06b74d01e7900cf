#include "loadgen/process_cpu/recorder.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

// Where the figures of every entry this recorder writes come from.
constexpr char kSource[] = "proc";

}  // namespace

ProcessCpuRecorder::Process ProcessToSample(const CpuPid& cpu_pid) {
  return {.name = cpu_pid.name,
          .pid = cpu_pid.pid,
          .scope = cpu_pid.name == kDbProcessName ? CpuScope::kTree
                                                  : CpuScope::kProcess};
}

std::vector<ProcessCpuRecorder::Process> ProcessesToSample(
    const RunConfig& config, const Target& target) {
  std::vector<ProcessCpuRecorder::Process> processes = {
      {.name = kLoadgenProcessName, .pid = static_cast<int>(getpid())}};
  for (const CpuPid& cpu_pid : config.cpu_pids) {
    if (cpu_pid.name == target.name || cpu_pid.name == kDbProcessName) {
      processes.push_back(ProcessToSample(cpu_pid));
    }
  }
  return processes;
}

std::unique_ptr<StepObserver> NewProcessCpuRecorder(const RunConfig& config,
                                                    const Target& target) {
  return std::make_unique<ProcessCpuRecorder>(
      ProcessesToSample(config, target));
}

ProcessCpuRecorder::ProcessCpuRecorder(std::vector<Process> processes)
    : processes_(std::move(processes)), warned_(processes_.size(), false) {}

ProcessCpuRecorder::Samples ProcessCpuRecorder::SampleAll() const {
  // One thread each, so the cheap samples are not held up behind the tree's
  // scan of /proc and every one is taken as near the window's edge as it can.
  Samples samples;
  for (const Process& process : processes_) {
    samples.push_back(std::async(std::launch::async,
                                 [pid = process.pid, scope = process.scope] {
                                   return SampleCpu(pid, scope);
                                 }));
  }
  return samples;
}

void ProcessCpuRecorder::WindowStart(int step) { starts_[step] = SampleAll(); }

void ProcessCpuRecorder::WindowEnd(int step) { ends_[step] = SampleAll(); }

void ProcessCpuRecorder::AddTo(pb::Step* step) {
  for (auto& [name, use] : Collect(step->index())) {
    (*step->mutable_processes())[name] = std::move(use);
  }
}

std::map<std::string, pb::ProcessUse> ProcessCpuRecorder::Collect(int step) {
  std::map<std::string, pb::ProcessUse> out;
  auto starts = starts_.find(step);
  auto ends = ends_.find(step);
  if (starts == starts_.end() || ends == ends_.end()) {
    return out;
  }
  for (size_t i = 0; i < processes_.size(); ++i) {
    const absl::StatusOr<CpuSample> start = starts->second[i].get();
    const absl::StatusOr<CpuSample> end = ends->second[i].get();
    if (std::optional<pb::ProcessUse> use = UseOf(i, start, end)) {
      out[processes_[i].name] = std::move(*use);
    }
  }
  starts_.erase(starts);
  ends_.erase(ends);
  return out;
}

std::optional<pb::ProcessUse> ProcessCpuRecorder::UseOf(
    size_t i, const absl::StatusOr<CpuSample>& start,
    const absl::StatusOr<CpuSample>& end) {
  const Process& process = processes_[i];
  std::string why;
  if (!start.ok() || !end.ok()) {
    why = std::string((start.ok() ? end : start).status().message());
  } else if (start->start_ticks != end->start_ticks) {
    why = absl::StrCat("process ", process.pid,
                       " exited and its pid now names another");
  }
  if (!why.empty()) {
    if (!warned_[i]) {
      warned_[i] = true;
      std::cerr << "warning: CPU use of " << process.name << " (pid "
                << process.pid << "): " << why
                << " (the steps it did not live through record no CPU for it)"
                << std::endl;
    }
    return std::nullopt;
  }
  pb::ProcessUse use;
  // A tree's snapshot may miss a backend being reaped (cpu_sampler.h), so an
  // idle window could otherwise come out below zero.
  use.set_cpu_s(std::max(0.0, end->cpu_s - start->cpu_s));
  // Fewer switches at the end: threads exited, and the count is unknown.
  if (end->context_switches >= start->context_switches) {
    use.set_context_switches(
        static_cast<double>(end->context_switches - start->context_switches));
  }
  use.set_source(kSource);
  use.set_pid(process.pid);
  return use;
}

}  // namespace asyncgrpc::loadgen
