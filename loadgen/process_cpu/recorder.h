// --cpu_pid during a run: ProcessCpuRecorder, the StepObserver that samples
// the CPU use of loadgen itself, of a target's server and of the database
// (cpu_sampler.h) when each step's measured window starts and ends, in the
// background so the load is never delayed, and adds each process's use over
// the window to the step's `processes` (keyed "loadgen", the target's name,
// "db"). A process that died mid-run is left out of the steps it did not
// live through; it never fails the run. Per-call figures are core's work.
//
//   std::unique_ptr<StepObserver> cpu = NewProcessCpuRecorder(config, target);
//   cpu->WindowStart(step);  ...  cpu->WindowEnd(step);
//   cpu->AddTo(&pb_step);  // pb_step.processes().at("loadgen").cpu_s()
#pragma once

#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loadgen/core/config.h"
#include "loadgen/core/step_observer.h"
#include "loadgen/process_cpu/cpu_sampler.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

class ProcessCpuRecorder : public StepObserver {
 public:
  // A process (or tree) to sample, and the key of its entry in the step's
  // `processes`.
  struct Process {
    std::string name;
    int pid = 0;
    CpuScope scope = CpuScope::kProcess;
  };

  explicit ProcessCpuRecorder(std::vector<Process> processes);

  // Start sampling every process now, in the background.
  void WindowStart(int step) override;
  void WindowEnd(int step) override;
  // Adds Collect(step->index()) to the step's processes.
  void AddTo(::loadgen::v1::Step* step) override;

  // Each process's use over `step`'s window by name, waiting for its samples
  // if they still run; a process not sampled at both ends (it died, or its
  // pid now names another) is left out, with a warning on stderr the first
  // time.
  std::map<std::string, ::loadgen::v1::ProcessUse> Collect(int step);

 private:
  using Samples = std::vector<std::future<absl::StatusOr<CpuSample>>>;
  Samples SampleAll() const;
  // processes_[i]'s use between `start` and `end`, or nothing (with a warning
  // the first time) when it was not sampled at both.
  std::optional<::loadgen::v1::ProcessUse> UseOf(
      size_t i, const absl::StatusOr<CpuSample>& start,
      const absl::StatusOr<CpuSample>& end);

  const std::vector<Process> processes_;
  std::vector<bool> warned_;
  std::map<int, Samples> starts_;
  std::map<int, Samples> ends_;
};

// How a --cpu_pid is sampled: "db" as a process tree (a PostgreSQL
// postmaster and its backends), any other name as one process.
ProcessCpuRecorder::Process ProcessToSample(const CpuPid& cpu_pid);

// What `target`'s recorder samples: loadgen itself (getpid()), the target's
// server when config.cpu_pids names it, the database (a tree) when it names
// "db".
std::vector<ProcessCpuRecorder::Process> ProcessesToSample(
    const RunConfig& config, const Target& target);

// The recorder of ProcessesToSample(config, target); never nullptr (loadgen
// itself is always sampled). main.cc combines it with its other observers.
std::unique_ptr<StepObserver> NewProcessCpuRecorder(const RunConfig& config,
                                                    const Target& target);

}  // namespace asyncgrpc::loadgen
