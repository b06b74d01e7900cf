// The process's own resource use, for the process_* metrics every Prometheus
// client library exports by convention (CPU, resident memory, open file
// descriptors, threads), read from /proc at scrape time. Linux only.
//
//   ProcessStats stats = ReadProcessStats();
//   if (stats.cpu_seconds.has_value()) { ... }
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace asyncgrpc {

// The fields of a /proc/<pid>/stat line that the services' metrics and
// loadgen's CPU sampler (loadgen/process_cpu/) need, in the kernel's units.
struct ProcStatFields {
  char state = '?';
  int ppid = 0;
  // Of every thread of the process, in clock ticks; cpu_ticks is their sum.
  uint64_t utime_ticks = 0;
  uint64_t stime_ticks = 0;
  uint64_t cpu_ticks = 0;
  // Of the children it has reaped (waited for), and theirs.
  uint64_t cutime_ticks = 0;
  uint64_t cstime_ticks = 0;
  // When it started, in clock ticks after boot.
  uint64_t start_ticks = 0;
  // num_threads.
  int64_t threads = 0;
  // rss, in pages.
  int64_t resident_pages = 0;
};

// The fields of `stat`, the text of a /proc/<pid>/stat file; nullopt when it
// is not such a line. The command name (field 2) is in parentheses but may
// itself hold spaces and ')', so the fields are counted from the last ')'.
std::optional<ProcStatFields> ParseProcStat(absl::string_view stat);

// One reading of the process, in Prometheus' units. A value that could not be
// read is nullopt: its metric is left out of that scrape.
struct ProcessStats {
  std::optional<double> cpu_seconds;
  std::optional<double> resident_bytes;
  std::optional<int64_t> open_fds;
  std::optional<int64_t> threads;
};

// Reads `proc_dir`/stat and counts the entries of `proc_dir`/fd. Never fails
// as a whole; the tests pass a directory of their own.
ProcessStats ReadProcessStats(const std::string& proc_dir = "/proc/self");

}  // namespace asyncgrpc
