#include "loadgen/process_cpu/proc_stat.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/process_stats.h"
#include "common/base/status_macros.h"

namespace asyncgrpc::loadgen {
namespace {

absl::Status NoSuchProcess(int pid) {
  return absl::NotFoundError(absl::StrCat("process ", pid, " does not exist"));
}

// The whole of a /proc file (whose size stat() does not tell). ENOENT and
// ESRCH (the process exited while it was read) mean `pid` is gone.
absl::StatusOr<std::string> ReadProcFile(const std::string& path, int pid) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    if (error == ENOENT || error == ESRCH) {
      return NoSuchProcess(pid);
    }
    return absl::UnavailableError(
        absl::StrCat("open ", path, ": ", std::strerror(error)));
  }
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) != 0) {
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const int error = errno;
      close(fd);
      if (error == ESRCH) {
        return NoSuchProcess(pid);
      }
      return absl::UnavailableError(
          absl::StrCat("read ", path, ": ", std::strerror(error)));
    }
    text.append(buffer, n);
  }
  close(fd);
  return text;
}

// The numeric entries of `dir` (pids or tids); empty when it cannot be read.
std::vector<int> NumericEntries(const std::string& dir, bool* opened) {
  std::vector<int> ids;
  DIR* handle = opendir(dir.c_str());
  *opened = handle != nullptr;
  if (handle == nullptr) {
    return ids;
  }
  while (const dirent* entry = readdir(handle)) {
    int id;
    if (absl::SimpleAtoi(entry->d_name, &id) && id > 0) {
      ids.push_back(id);
    }
  }
  closedir(handle);
  return ids;
}

// voluntary_ctxt_switches + nonvoluntary_ctxt_switches of one
// /proc/PID/task/TID/status text; nothing when either is missing.
std::optional<int64_t> ContextSwitchesOf(absl::string_view status) {
  int64_t sum = 0;
  int found = 0;
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (absl::ConsumePrefix(&line, "voluntary_ctxt_switches:") ||
        absl::ConsumePrefix(&line, "nonvoluntary_ctxt_switches:")) {
      int64_t count;
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &count)) {
        return std::nullopt;
      }
      sum += count;
      ++found;
    }
  }
  if (found != 2) {
    return std::nullopt;
  }
  return sum;
}

}  // namespace

double ClockTicksPerSecond() {
  static const double kTicks = [] {
    const long ticks = sysconf(_SC_CLK_TCK);
    return ticks > 0 ? static_cast<double>(ticks) : 100.0;
  }();
  return kTicks;
}

absl::StatusOr<ProcessStat> ParseProcessStat(absl::string_view line,
                                             double ticks_per_second) {
  const size_t open = line.find('(');
  const size_t close = line.rfind(')');
  ProcessStat stat;
  // The fields after the command name are common/base/process_stats.h's to
  // read.
  const std::optional<ProcStatFields> fields = ParseProcStat(line);
  if (open == absl::string_view::npos || close == absl::string_view::npos ||
      close < open || !fields.has_value() ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(0, open)),
                        &stat.pid)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a /proc/PID/stat line: \"", line.substr(0, 80),
                     line.size() > 80 ? "...\"" : "\""));
  }
  stat.comm = std::string(line.substr(open + 1, close - open - 1));
  stat.state = fields->state;
  stat.ppid = fields->ppid;
  stat.utime_s = fields->utime_ticks / ticks_per_second;
  stat.stime_s = fields->stime_ticks / ticks_per_second;
  stat.cutime_s = fields->cutime_ticks / ticks_per_second;
  stat.cstime_s = fields->cstime_ticks / ticks_per_second;
  stat.start_ticks = fields->start_ticks;
  return stat;
}

absl::StatusOr<ProcessStat> ReadProcessStat(int pid) {
  if (pid <= 0) {
    return NoSuchProcess(pid);
  }
  ASSIGN_OR_RETURN(const std::string text,
                   ReadProcFile(absl::StrCat("/proc/", pid, "/stat"), pid));
  absl::StatusOr<ProcessStat> stat = ParseProcessStat(text);
  if (!stat.ok()) {
    return absl::InternalError(
        absl::StrCat("process ", pid, ": ", stat.status().message()));
  }
  return stat;
}

absl::StatusOr<int64_t> ReadContextSwitches(int pid) {
  const std::string tasks = absl::StrCat("/proc/", pid, "/task");
  bool opened;
  const std::vector<int> tids =
      pid > 0 ? NumericEntries(tasks, &opened) : std::vector<int>();
  if (pid <= 0 || !opened) {
    return NoSuchProcess(pid);
  }
  int64_t sum = 0;
  bool counted = false;
  for (int tid : tids) {
    // A thread that exits now is lost either way (see the header).
    absl::StatusOr<std::string> status =
        ReadProcFile(absl::StrCat(tasks, "/", tid, "/status"), pid);
    std::optional<int64_t> switches =
        status.ok() ? ContextSwitchesOf(*status) : std::nullopt;
    counted = counted || switches.has_value();
    sum += switches.value_or(0);
  }
  if (!counted) {
    // Every thread is gone: so is the process.
    return NoSuchProcess(pid);
  }
  return sum;
}

std::vector<ProcessStat> ReadChildren(int ppid) {
  std::vector<ProcessStat> children;
  bool opened;
  for (int pid : NumericEntries("/proc", &opened)) {
    absl::StatusOr<ProcessStat> stat = ReadProcessStat(pid);
    if (stat.ok() && stat->ppid == ppid) {
      children.push_back(*std::move(stat));
    }
  }
  return children;
}

}  // namespace asyncgrpc::loadgen
