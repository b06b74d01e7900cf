#include "loadgen/process_cpu/cpu_sampler.h"

#include <vector>

#include "common/base/status_macros.h"
#include "loadgen/process_cpu/proc_stat.h"

namespace asyncgrpc::loadgen {

absl::StatusOr<CpuSample> SampleProcess(int pid) {
  ASSIGN_OR_RETURN(const ProcessStat stat, ReadProcessStat(pid));
  ASSIGN_OR_RETURN(const int64_t switches, ReadContextSwitches(pid));
  return CpuSample{.cpu_s = stat.utime_s + stat.stime_s,
                   .context_switches = switches,
                   .start_ticks = stat.start_ticks};
}

absl::StatusOr<CpuSample> SampleProcessTree(int pid) {
  // The root first, then its children: a child reaped in between is missed
  // by this snapshot only (see the header).
  ASSIGN_OR_RETURN(const ProcessStat root, ReadProcessStat(pid));
  ASSIGN_OR_RETURN(const int64_t root_switches, ReadContextSwitches(pid));
  CpuSample sample{
      .cpu_s = root.utime_s + root.stime_s + root.cutime_s + root.cstime_s,
      .context_switches = root_switches,
      .start_ticks = root.start_ticks};
  for (const ProcessStat& child : ReadChildren(pid)) {
    sample.cpu_s += child.utime_s + child.stime_s;
    // A child that exited since is skipped: its switches are lost anyway.
    absl::StatusOr<int64_t> switches = ReadContextSwitches(child.pid);
    sample.context_switches += switches.value_or(0);
  }
  return sample;
}

absl::StatusOr<CpuSample> SampleCpu(int pid, CpuScope scope) {
  return scope == CpuScope::kTree ? SampleProcessTree(pid) : SampleProcess(pid);
}

}  // namespace asyncgrpc::loadgen
