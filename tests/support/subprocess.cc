// Subprocess lifecycle (see subprocess.h): option defaults, signalling,
// reaping and waiting for the child, and stopping it in the destructor.
// Starting it is in subprocess_spawn.cc, its stdout in subprocess_output.cc.
#include "tests/support/subprocess.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess_internal.h"

namespace asyncgrpc::testing {
namespace {

// Upper bound for the waitpid() polling interval in Wait().
constexpr absl::Duration kMaxWaitPoll = absl::Milliseconds(20);

int DecodeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

}  // namespace

absl::Duration SubprocessOptions::DefaultStopGrace() {
  static const absl::Duration grace = [] {
    const char* value = std::getenv("ASYNCGRPC_TEST_STOP_GRACE");
    absl::Duration parsed;
    if (value == nullptr || !absl::ParseDuration(value, &parsed)) {
      return absl::ZeroDuration();
    }
    return parsed;
  }();
  return grace;
}

int SubprocessOptions::DefaultSanitizerExitCode() {
  static const int code = [] {
    const char* value = std::getenv("ASYNCGRPC_TEST_SANITIZER_EXIT_CODE");
    int parsed = -1;
    if (value == nullptr || !absl::SimpleAtoi(value, &parsed)) return -1;
    return parsed;
  }();
  return code;
}

Subprocess::Subprocess(pid_t pid, std::string name, int stdout_fd,
                       const Options& options)
    : pid_(pid),
      name_(std::move(name)),
      stdout_fd_(stdout_fd),
      echo_captured_stdout_(options.echo_captured_stdout),
      stop_grace_(options.stop_grace),
      sanitizer_exit_code_(options.sanitizer_exit_code) {}

Subprocess::~Subprocess() {
  if (stop_grace_ > absl::ZeroDuration() && Signal(SIGTERM).ok() &&
      !Wait(stop_grace_).ok()) {
    std::fprintf(stderr, "%s (pid %d) still running %s after SIGTERM: killed\n",
                 name_.c_str(), static_cast<int>(pid_),
                 absl::FormatDuration(stop_grace_).c_str());
  }
  {
    absl::MutexLock lock(&lifecycle_mutex_);
    if (!exit_code_.has_value()) {
      kill(pid_, SIGKILL);
      int wait_status = 0;
      const pid_t result = internal::WaitPid(pid_, &wait_status, 0);
      OnReapedLocked(result == pid_ ? wait_status : 0);
    }
    StopReaderLocked();
  }
  internal::CloseIfOpen(stdout_fd_);
  internal::CloseIfOpen(wake_read_fd_);
  internal::CloseIfOpen(wake_write_fd_);
}

bool Subprocess::TryReap() {
  absl::MutexLock lock(&lifecycle_mutex_);
  if (exit_code_.has_value()) return true;
  int wait_status = 0;
  const pid_t result = internal::WaitPid(pid_, &wait_status, WNOHANG);
  if (result == 0) return false;
  // result < 0 (ECHILD) means someone else reaped it; treat as exited.
  OnReapedLocked(result == pid_ ? wait_status : 0);
  return true;
}

void Subprocess::OnReapedLocked(int wait_status) {
  exit_code_ = DecodeWaitStatus(wait_status);
  if (sanitizer_exit_code_ >= 0 && *exit_code_ == sanitizer_exit_code_) {
    // The sanitizer's report is on the child's stderr or in its log_path file.
    ADD_FAILURE() << name_ << " (pid " << pid_ << ") exited with "
                  << sanitizer_exit_code_
                  << ", the sanitizers' exit code: it reported an error";
  }
  // Everything the child wrote is in the pipe now. Drain it and stop reading,
  // even if a grandchild still holds the write end open.
  StopReaderLocked();
}

absl::Status Subprocess::Signal(int signal) {
  absl::MutexLock lock(&lifecycle_mutex_);
  if (exit_code_.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("pid ", pid_, " already exited with ", *exit_code_));
  }
  if (kill(pid_, signal) != 0) {
    return internal::ErrnoStatus(
        errno, absl::StrCat("kill(", pid_, ", ", signal, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration poll = absl::Milliseconds(1);
  while (!TryReap()) {
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      // Also on stderr: callers often keep only the code (value_or).
      const std::string message =
          absl::StrCat("pid ", pid_, " (", name_, ") still running after ",
                       absl::FormatDuration(timeout), "; its threads:\n",
                       ThreadStacks(pid_));
      std::cerr << message << std::endl;
      return absl::DeadlineExceededError(message);
    }
    absl::SleepFor(std::min(poll, deadline - now));
    poll = std::min(poll * 2, kMaxWaitPoll);
  }
  absl::MutexLock lock(&lifecycle_mutex_);
  return *exit_code_;
}

bool Subprocess::Running() { return !TryReap(); }

}  // namespace asyncgrpc::testing
