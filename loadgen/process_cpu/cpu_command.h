// `loadgen cpu NAME=PID... [--warmup D] [--step_duration D]`: the CPU use and
// context switches of processes loadgen does not drive (pgbench, h2load, a
// server under their load), measured by the same sampler and recorder as a
// run's --cpu_pid, so scripts/ceilings compares like with like. It waits the
// warm-up, samples every process at the window's start and end, and prints
// one JSON line: the window's length and each process's use, keyed by NAME
// ("db" is a process tree: a PostgreSQL postmaster and its backends).
//
//   $ loadgen cpu h2load=4242 db=4100 --warmup=2s --step_duration=8s
//   {"duration_s":8,"processes":{"db":{"cpu_s":1.9,...},"h2load":{...}}}
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace asyncgrpc::loadgen {

struct CpuCommandFlags {
  // NAME=PID, at least one; "db" samples a process tree.
  std::vector<std::string> processes;
  // Waited before the window starts.
  absl::Duration warmup;
  // The window's length.
  absl::Duration window;
};

// The exit code of `loadgen cpu`: 0 with the JSON line on `out`; 1 with one
// line on `err` when a process was not there at both ends of the window
// (it exited, or its pid now names another); 2 with one line on `err` for bad
// input (no process, a spec that is not NAME=PID, a name given twice, a pid
// no process has, a negative warm-up or an empty window), before waiting.
int CpuCommand(const CpuCommandFlags& flags, std::ostream& out,
               std::ostream& err);

}  // namespace asyncgrpc::loadgen
