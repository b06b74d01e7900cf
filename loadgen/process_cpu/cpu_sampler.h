// One reading of how much CPU a process has used so far, from /proc
// (proc_stat.h); the recorder (recorder.h) subtracts two readings to get a
// step's use. Two kinds:
//
// - A single process (a server, or loadgen itself): utime + stime of all its
//   threads, as /proc/PID/stat reports them.
// - A process tree (the database: a PostgreSQL postmaster forks one backend
//   per connection, and backends come and go): the postmaster's
//   utime + stime + cutime + cstime (the CPU of the children it has reaped)
//   plus utime + stime of each live direct child, found anew at every sample
//   by scanning /proc/*/stat for ppid == the postmaster's pid.
//
// A tree's snapshot can be off by up to one backend's lifetime: a backend
// that exits between two samples is counted in the postmaster's
// cutime/cstime only once its parent reaps it, and one reaped while the
// snapshot is taken may be missed or counted twice. Context switches are
// approximate: those of threads (and backends) that exited are lost.
//
//   absl::StatusOr<CpuSample> before = SampleCpu(pid, CpuScope::kTree);
//   ...
//   absl::StatusOr<CpuSample> after = SampleCpu(pid, CpuScope::kTree);
//   double cpu_s = after->cpu_s - before->cpu_s;
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"

namespace asyncgrpc::loadgen {

enum class CpuScope {
  kProcess,  // The process and all its threads.
  kTree,     // The process, its reaped children and its live children.
};

struct CpuSample {
  // User + system CPU time used so far.
  double cpu_s = 0;
  // Voluntary + involuntary context switches of the live threads so far.
  int64_t context_switches = 0;
  // When the (root) process started, in clock ticks after boot: two samples
  // with different values are of different processes that had the same pid.
  uint64_t start_ticks = 0;
};

// NOT_FOUND naming `pid` when there is no such process (for a tree: no such
// root; children that vanish while they are read are skipped).
absl::StatusOr<CpuSample> SampleProcess(int pid);
absl::StatusOr<CpuSample> SampleProcessTree(int pid);
absl::StatusOr<CpuSample> SampleCpu(int pid, CpuScope scope);

}  // namespace asyncgrpc::loadgen
