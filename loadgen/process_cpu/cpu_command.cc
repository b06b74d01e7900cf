#include "loadgen/process_cpu/cpu_command.h"

#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <set>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "loadgen/core/notation.h"
#include "loadgen/process_cpu/recorder.h"

namespace asyncgrpc::loadgen {
namespace {

// The processes to sample, or INVALID_ARGUMENT naming the bad input.
absl::StatusOr<std::vector<ProcessCpuRecorder::Process>> ProcessesOf(
    const CpuCommandFlags& flags) {
  if (flags.processes.empty()) {
    return absl::InvalidArgumentError(
        "cpu: name at least one process as NAME=PID");
  }
  if (flags.warmup < absl::ZeroDuration() ||
      flags.window <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "cpu: --warmup must not be negative and --step_duration must be "
        "positive");
  }
  std::vector<ProcessCpuRecorder::Process> processes;
  std::set<std::string> names;
  for (const std::string& spec : flags.processes) {
    absl::StatusOr<CpuPid> pid = ParseCpuPid(spec);
    if (!pid.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cpu: each process must be NAME=PID (e.g. db=1234), got \"", spec,
          "\""));
    }
    if (!names.insert(pid->name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("cpu: \"", pid->name, "\" given twice"));
    }
    if (access(absl::StrCat("/proc/", pid->pid, "/stat").c_str(), R_OK) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("cpu: ", spec, ": no process ", pid->pid));
    }
    processes.push_back(ProcessToSample(*pid));
  }
  return processes;
}

}  // namespace

int CpuCommand(const CpuCommandFlags& flags, std::ostream& out,
               std::ostream& err) {
  absl::StatusOr<std::vector<ProcessCpuRecorder::Process>> processes =
      ProcessesOf(flags);
  if (!processes.ok()) {
    err << "loadgen: " << processes.status().message() << "\n";
    return 2;
  }
  ProcessCpuRecorder recorder(*processes);
  absl::SleepFor(flags.warmup);
  const absl::Time start = absl::Now();
  recorder.WindowStart(0);
  absl::SleepFor(flags.window);
  recorder.WindowEnd(0);
  const absl::Duration measured = absl::Now() - start;

  ::loadgen::v1::Step step;
  step.set_duration_s(absl::ToDoubleSeconds(measured));
  for (auto& [name, use] : recorder.Collect(0)) {
    (*step.mutable_processes())[name] = use;
  }
  std::vector<std::string> missing;
  for (const ProcessCpuRecorder::Process& process : *processes) {
    if (!step.processes().contains(process.name)) {
      missing.push_back(absl::StrCat(process.name, "=", process.pid));
    }
  }
  if (!missing.empty()) {
    err << "loadgen: cpu: not there for the whole window: "
        << absl::StrJoin(missing, ", ") << "\n";
    return 1;
  }
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(step, &json, options).ok()) {
    err << "loadgen: cpu: cannot print the figures as JSON\n";
    return 1;
  }
  out << json << "\n";
  return 0;
}

}  // namespace asyncgrpc::loadgen
