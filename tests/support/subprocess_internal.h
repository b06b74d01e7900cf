// Small helpers shared by the files that implement subprocess.h
// (subprocess.cc, subprocess_spawn.cc, run_command.cc). Not for use outside
// tests/support/.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace asyncgrpc::testing::internal {

inline void CloseIfOpen(int fd) {
  if (fd >= 0) close(fd);
}

inline absl::Status ErrnoStatus(int error, absl::string_view what) {
  return absl::ErrnoToStatus(error, what);
}

// waitpid() retried while interrupted by a signal.
inline pid_t WaitPid(pid_t pid, int* wait_status, int options) {
  pid_t result;
  do {
    result = waitpid(pid, wait_status, options);
  } while (result < 0 && errno == EINTR);
  return result;
}

// `argv` as one backquoted command line, for messages.
inline std::string Quote(const std::vector<std::string>& argv) {
  return absl::StrCat("`", absl::StrJoin(argv, " "), "`");
}

}  // namespace asyncgrpc::testing::internal
