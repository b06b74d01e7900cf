// What /proc says about a process, for process_cpu/'s samples: its
// /proc/PID/stat line (parent, CPU time of its own and of its reaped
// children), the context switches of its threads, its live children. Linux
// only; the files are read as they are now, and a process may vanish between
// two reads.
//
//   absl::StatusOr<ProcessStat> stat = ReadProcessStat(pid);
//   if (!stat.ok()) ...;  // NOT_FOUND "process 123 does not exist"
//   double cpu_s = stat->utime_s + stat->stime_s;
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace asyncgrpc::loadgen {

// The fields of a /proc/PID/stat line that process_cpu/ needs; times in
// seconds.
struct ProcessStat {
  int pid = 0;
  std::string comm;
  char state = '?';
  int ppid = 0;
  // Of every thread of the process, live or exited.
  double utime_s = 0;
  double stime_s = 0;
  // Of the children it has reaped (waited for), and theirs.
  double cutime_s = 0;
  double cstime_s = 0;
  // When it started, in clock ticks after boot: tells a process from a later
  // one given the same pid.
  uint64_t start_ticks = 0;
};

// sysconf(_SC_CLK_TCK): the unit of the times in /proc/PID/stat.
double ClockTicksPerSecond();

// `line`, the text of a /proc/PID/stat file, with ticks of
// 1/`ticks_per_second` s; INVALID_ARGUMENT when it is not such a line. The
// command name (field 2) is in parentheses but may itself hold spaces and ')',
// so the fields are counted from the last ')'.
absl::StatusOr<ProcessStat> ParseProcessStat(
    absl::string_view line, double ticks_per_second = ClockTicksPerSecond());

// /proc/`pid`/stat; NOT_FOUND naming `pid` when there is no such process.
absl::StatusOr<ProcessStat> ReadProcessStat(int pid);

// Voluntary + involuntary context switches of `pid`'s live threads, summed
// over /proc/`pid`/task/*/status (threads that exited are lost); NOT_FOUND
// naming `pid` when there is no such process.
absl::StatusOr<int64_t> ReadContextSwitches(int pid);

// The processes whose parent is `ppid` now (zombies included), from every
// /proc/*/stat; one that vanishes while it is read is skipped.
std::vector<ProcessStat> ReadChildren(int ppid);

}  // namespace asyncgrpc::loadgen
