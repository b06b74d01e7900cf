#include "common/base/process_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace asyncgrpc {
namespace {

// Positions in a /proc/<pid>/stat line counted from the state (field 3, the
// first after the command name), per proc(5): ppid is field 4, utime 14,
// stime 15, cutime 16, cstime 17, num_threads 20, starttime 22, rss 24.
constexpr int kFirstField = 3;
constexpr int kState = 3 - kFirstField;
constexpr int kPpid = 4 - kFirstField;
constexpr int kUtime = 14 - kFirstField;
constexpr int kStime = 15 - kFirstField;
constexpr int kCutime = 16 - kFirstField;
constexpr int kCstime = 17 - kFirstField;
constexpr int kNumThreads = 20 - kFirstField;
constexpr int kStartTime = 22 - kFirstField;
constexpr int kRss = 24 - kFirstField;

// The whole of a file; nullopt when it cannot be opened or read. /proc files
// report a size of 0, so this reads to the end rather than by size.
std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  if (!in.is_open()) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return std::nullopt;
  }
  return text.str();
}

// sysconf's value for `name`, or nullopt when it has none.
std::optional<double> PositiveSysconf(int name) {
  const long value = sysconf(name);
  if (value <= 0) {
    return std::nullopt;
  }
  return static_cast<double>(value);
}

// Counts the entries of `dir` (an fd/ directory), "." and ".." aside.
std::optional<int64_t> CountOpenFds(const std::string& dir) {
  DIR* listing = opendir(dir.c_str());
  if (listing == nullptr) {
    return std::nullopt;
  }
  // Listing /proc/self/fd takes a descriptor of its own, which shows up among
  // the entries but is not one the process holds.
  const std::string own_fd = absl::StrCat(dirfd(listing));
  int64_t count = 0;
  while (const dirent* entry = readdir(listing)) {
    const absl::string_view name = entry->d_name;
    if (name != "." && name != ".." && name != own_fd) {
      ++count;
    }
  }
  closedir(listing);
  return count;
}

}  // namespace

std::optional<ProcStatFields> ParseProcStat(absl::string_view stat) {
  const size_t comm_end = stat.rfind(')');
  if (comm_end == absl::string_view::npos) {
    return std::nullopt;
  }
  const std::vector<absl::string_view> fields = absl::StrSplit(
      stat.substr(comm_end + 1), absl::ByAnyChar(" \n"), absl::SkipEmpty());
  if (fields.size() <= kRss) {
    return std::nullopt;
  }
  ProcStatFields parsed;
  if (fields[kState].size() != 1 ||
      !absl::SimpleAtoi(fields[kPpid], &parsed.ppid) ||
      !absl::SimpleAtoi(fields[kUtime], &parsed.utime_ticks) ||
      !absl::SimpleAtoi(fields[kStime], &parsed.stime_ticks) ||
      !absl::SimpleAtoi(fields[kCutime], &parsed.cutime_ticks) ||
      !absl::SimpleAtoi(fields[kCstime], &parsed.cstime_ticks) ||
      !absl::SimpleAtoi(fields[kStartTime], &parsed.start_ticks) ||
      !absl::SimpleAtoi(fields[kNumThreads], &parsed.threads) ||
      !absl::SimpleAtoi(fields[kRss], &parsed.resident_pages) ||
      parsed.threads < 1 || parsed.resident_pages < 0) {
    return std::nullopt;
  }
  parsed.state = fields[kState][0];
  parsed.cpu_ticks = parsed.utime_ticks + parsed.stime_ticks;
  return parsed;
}

ProcessStats ReadProcessStats(const std::string& proc_dir) {
  ProcessStats stats;
  stats.open_fds = CountOpenFds(absl::StrCat(proc_dir, "/fd"));
  const std::optional<std::string> text =
      ReadWholeFile(absl::StrCat(proc_dir, "/stat"));
  const std::optional<ProcStatFields> fields =
      text.has_value() ? ParseProcStat(*text) : std::nullopt;
  if (!fields.has_value()) {
    return stats;
  }
  stats.threads = fields->threads;
  if (const std::optional<double> ticks = PositiveSysconf(_SC_CLK_TCK)) {
    stats.cpu_seconds = static_cast<double>(fields->cpu_ticks) / *ticks;
  }
  if (const std::optional<double> page = PositiveSysconf(_SC_PAGESIZE)) {
    stats.resident_bytes = static_cast<double>(fields->resident_pages) * *page;
  }
  return stats;
}

}  // namespace asyncgrpc
