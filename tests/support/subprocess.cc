// Implementation of Subprocess, RunCommand and ReadListeningPort (see
// subprocess.h).
#include "tests/support/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

extern char** environ;

namespace asyncgrpc::testing {
namespace {

// Captured stdout kept for ReadLineMatching(); the oldest lines are dropped
// beyond this so a long-running chatty service cannot exhaust memory.
constexpr size_t kMaxBufferedBytes = 16 << 20;
// How many skipped lines ReadLineMatching() quotes in its error messages.
constexpr size_t kDiagnosticLines = 5;
// How often ReadLineMatching() checks whether the child has exited.
constexpr absl::Duration kExitCheckInterval = absl::Milliseconds(50);
// Upper bound for the waitpid() polling interval in Wait().
constexpr absl::Duration kMaxWaitPoll = absl::Milliseconds(20);
constexpr char kListeningPrefix[] = "listening on ";

void CloseIfOpen(int fd) {
  if (fd >= 0) close(fd);
}

absl::Status ErrnoStatus(int error, absl::string_view what) {
  return absl::ErrnoToStatus(error, what);
}

int DecodeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

std::string Quote(const std::vector<std::string>& argv) {
  return absl::StrCat("`", absl::StrJoin(argv, " "), "`");
}

// Builds "KEY=VALUE" entries: the current environment with `overrides`
// replacing or adding variables.
std::vector<std::string> BuildEnvironment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    absl::string_view var(*entry);
    bool overridden = false;
    for (const auto& [key, value] : overrides) {
      if (absl::StartsWith(var, key) && var.size() > key.size() &&
          var[key.size()] == '=') {
        overridden = true;
        break;
      }
    }
    if (!overridden) env.emplace_back(var);
  }
  for (const auto& [key, value] : overrides) {
    env.push_back(absl::StrCat(key, "=", value));
  }
  return env;
}

std::vector<char*> ToCharPointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void ExecChild(pid_t parent, char** argv, char** envp,
                            int devnull_fd, int stdout_write_fd,
                            bool inherit_stderr, int exec_error_fd,
                            long max_fd) {
  // Die with the parent. If the parent died before prctl() took effect we
  // have already been re-parented and must exit on our own.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
    _exit(127);
  }
  sigset_t all_signals;
  sigemptyset(&all_signals);
  sigprocmask(SIG_SETMASK, &all_signals, nullptr);
  signal(SIGPIPE, SIG_DFL);

  dup2(devnull_fd, STDIN_FILENO);
  if (stdout_write_fd >= 0) dup2(stdout_write_fd, STDOUT_FILENO);
  if (!inherit_stderr) dup2(devnull_fd, STDERR_FILENO);

  // Do not leak the test's descriptors (e.g. other servers' listening
  // sockets) into the child: mark everything above stderr close-on-exec.
  if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (long fd = 3; fd < max_fd; ++fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }

  execvpe(argv[0], argv, envp);
  int error = errno;
  ssize_t ignored = write(exec_error_fd, &error, sizeof(error));
  (void)ignored;
  _exit(127);
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

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    std::vector<std::string> argv, Options options) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");

  // Everything the child needs is prepared before fork(): after fork() only
  // async-signal-safe functions may be used (other threads may hold locks).
  std::vector<char*> argv_pointers = ToCharPointers(argv);
  std::vector<std::string> env = BuildEnvironment(options.env);
  std::vector<char*> env_pointers = ToCharPointers(env);
  const long max_fd = std::clamp(sysconf(_SC_OPEN_MAX), 256L, 65536L);

  int stdout_pipe[2] = {-1, -1};
  int exec_error_pipe[2] = {-1, -1};
  int devnull_fd = -1;
  auto close_all = [&] {
    for (int fd : {stdout_pipe[0], stdout_pipe[1], exec_error_pipe[0],
                   exec_error_pipe[1], devnull_fd}) {
      CloseIfOpen(fd);
    }
  };
  // O_CLOEXEC everywhere so that concurrently started children never inherit
  // these ends (an inherited write end would delay EOF forever).
  if (options.capture_stdout && pipe2(stdout_pipe, O_CLOEXEC) != 0) {
    return ErrnoStatus(errno, "pipe2");
  }
  if (pipe2(exec_error_pipe, O_CLOEXEC) != 0) {
    int error = errno;
    close_all();
    return ErrnoStatus(error, "pipe2");
  }
  devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull_fd < 0) {
    int error = errno;
    close_all();
    return ErrnoStatus(error, "open /dev/null");
  }

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    int error = errno;
    close_all();
    return ErrnoStatus(error, "fork");
  }
  if (pid == 0) {
    ExecChild(parent, argv_pointers.data(), env_pointers.data(), devnull_fd,
              stdout_pipe[1], options.inherit_stderr, exec_error_pipe[1],
              max_fd);
  }

  // Parent.
  CloseIfOpen(stdout_pipe[1]);
  CloseIfOpen(exec_error_pipe[1]);
  CloseIfOpen(devnull_fd);

  // The error pipe is closed by a successful exec (EOF) or carries errno.
  int exec_errno = 0;
  ssize_t n;
  do {
    n = read(exec_error_pipe[0], &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  CloseIfOpen(exec_error_pipe[0]);
  if (n == sizeof(exec_errno)) {
    CloseIfOpen(stdout_pipe[0]);
    int ignored;
    while (waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
    }
    return ErrnoStatus(exec_errno, absl::StrCat("exec ", Quote(argv)));
  }

  if (stdout_pipe[0] >= 0) {
    // Only the read end is non-blocking (the child's end stays blocking).
    fcntl(stdout_pipe[0], F_SETFL, fcntl(stdout_pipe[0], F_GETFL) | O_NONBLOCK);
  }
  std::unique_ptr<Subprocess> process(
      new Subprocess(pid, argv[0], stdout_pipe[0], options));
  if (process->stdout_fd_ >= 0) {
    int wake_pipe[2];
    if (pipe2(wake_pipe, O_CLOEXEC) != 0) {
      return ErrnoStatus(errno, "pipe2");  // ~Subprocess kills the child.
    }
    process->wake_read_fd_ = wake_pipe[0];
    process->wake_write_fd_ = wake_pipe[1];
    absl::MutexLock lock(&process->lifecycle_mutex_);
    process->reader_ = std::thread(&Subprocess::ReaderLoop, process.get());
  } else {
    absl::MutexLock lock(&process->output_mutex_);
    process->stdout_closed_ = true;
  }
  return process;
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
      pid_t result;
      do {
        result = waitpid(pid_, &wait_status, 0);
      } while (result < 0 && errno == EINTR);
      OnReapedLocked(result == pid_ ? wait_status : 0);
    }
    StopReaderLocked();
  }
  CloseIfOpen(stdout_fd_);
  CloseIfOpen(wake_read_fd_);
  CloseIfOpen(wake_write_fd_);
}

bool Subprocess::TryReap() {
  absl::MutexLock lock(&lifecycle_mutex_);
  if (exit_code_.has_value()) return true;
  int wait_status = 0;
  pid_t result;
  do {
    result = waitpid(pid_, &wait_status, WNOHANG);
  } while (result < 0 && errno == EINTR);
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

void Subprocess::StopReaderLocked() {
  if (!reader_.joinable()) return;
  char byte = 0;
  ssize_t ignored = write(wake_write_fd_, &byte, 1);
  (void)ignored;
  reader_.join();
}

void Subprocess::ReaderLoop() {
  char buffer[4096];
  bool stop_requested = false;
  while (true) {
    pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {wake_read_fd_, POLLIN, 0}};
    int ready = poll(fds, 2, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) {
      stop_requested = true;
      break;
    }
    if (fds[0].revents == 0) continue;
    ssize_t n = read(stdout_fd_, buffer, sizeof(buffer));
    if (n > 0) {
      AppendOutput(buffer, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      break;  // EOF or error.
    }
  }
  if (stop_requested) {
    // Final non-blocking drain of whatever is already in the pipe.
    while (true) {
      ssize_t n = read(stdout_fd_, buffer, sizeof(buffer));
      if (n > 0) {
        AppendOutput(buffer, static_cast<size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        break;
      }
    }
  }
  absl::MutexLock lock(&output_mutex_);
  stdout_closed_ = true;
  output_changed_.SignalAll();
}

void Subprocess::AppendOutput(const char* data, size_t size) {
  if (echo_captured_stdout_) {
    std::fprintf(stderr, "[pid %d stdout] %.*s", static_cast<int>(pid_),
                 static_cast<int>(size), data);
  }
  absl::MutexLock lock(&output_mutex_);
  std::string_view chunk(data, size);
  while (!chunk.empty()) {
    size_t newline = chunk.find('\n');
    if (newline == std::string_view::npos) {
      partial_line_.append(chunk);
      break;
    }
    partial_line_.append(chunk.substr(0, newline));
    chunk.remove_prefix(newline + 1);
    buffered_bytes_ += partial_line_.size() + 1;
    lines_.push_back(std::move(partial_line_));
    partial_line_.clear();
  }
  while (buffered_bytes_ > kMaxBufferedBytes && !lines_.empty()) {
    buffered_bytes_ -= lines_.front().size() + 1;
    lines_.pop_front();
  }
  output_changed_.SignalAll();
}

absl::StatusOr<std::string> Subprocess::ReadLineMatching(
    std::string_view prefix, absl::Duration timeout) {
  if (stdout_fd_ < 0) {
    return absl::FailedPreconditionError(
        "ReadLineMatching: stdout is not captured");
  }
  // Note: absl::string_view is not std::string_view in this abseil build.
  const absl::string_view wanted(prefix.data(), prefix.size());
  const absl::Time deadline = absl::Now() + timeout;
  std::deque<std::string> skipped;  // Last few lines, for error messages.
  auto describe_skipped = [&] {
    if (skipped.empty()) return std::string(" (no output)");
    return absl::StrCat("; last lines:\n  ", absl::StrJoin(skipped, "\n  "));
  };
  while (true) {
    {
      absl::MutexLock lock(&output_mutex_);
      while (true) {
        if (lines_.empty() && stdout_closed_ && !partial_line_.empty()) {
          // An unterminated last line still counts once stdout is closed.
          buffered_bytes_ += partial_line_.size() + 1;
          lines_.push_back(std::move(partial_line_));
          partial_line_.clear();
        }
        if (lines_.empty()) break;
        std::string line = std::move(lines_.front());
        lines_.pop_front();
        buffered_bytes_ -= line.size() + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (absl::StartsWith(line, wanted)) return line.substr(wanted.size());
        skipped.push_back(std::move(line));
        if (skipped.size() > kDiagnosticLines) skipped.pop_front();
      }
      if (stdout_closed_) {
        return absl::NotFoundError(absl::StrCat(
            "pid ", pid_, " closed stdout (exited?) without a ",
            "line starting with \"", wanted, "\"", describe_skipped()));
      }
      const absl::Time now = absl::Now();
      if (now >= deadline) {
        return absl::DeadlineExceededError(absl::StrCat(
            "pid ", pid_, " printed no line starting with \"", wanted,
            "\" within ", absl::FormatDuration(timeout), describe_skipped()));
      }
      output_changed_.WaitWithTimeout(
          &output_mutex_, std::min(kExitCheckInterval, deadline - now));
    }
    // A grandchild may keep the pipe open after the child exited; reaping the
    // child drains and closes our side so we fail fast instead of timing out.
    TryReap();
  }
}

std::string Subprocess::ConsumeCapturedStdout() {
  absl::MutexLock lock(&output_mutex_);
  std::string result;
  for (const std::string& line : lines_) absl::StrAppend(&result, line, "\n");
  result += partial_line_;
  lines_.clear();
  partial_line_.clear();
  buffered_bytes_ = 0;
  return result;
}

absl::Status Subprocess::Signal(int signal) {
  absl::MutexLock lock(&lifecycle_mutex_);
  if (exit_code_.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("pid ", pid_, " already exited with ", *exit_code_));
  }
  if (kill(pid_, signal) != 0) {
    return ErrnoStatus(errno, absl::StrCat("kill(", pid_, ", ", signal, ")"));
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

std::string ThreadStacks(pid_t pid) {
  // gdb's own Wait must not attach a gdb to a hanging gdb.
  thread_local bool dumping = false;
  if (dumping) {
    return "(not dumped: gdb itself hung)";
  }
  dumping = true;
  int exit_code = 0;
  absl::StatusOr<std::string> stacks =
      RunCommand({"gdb", "-p", absl::StrCat(pid), "-batch", "-nx", "-ex",
                  "thread apply all bt"},
                 absl::Seconds(60), &exit_code);
  dumping = false;
  if (!stacks.ok()) {
    return absl::StrCat("(gdb failed: ", stacks.status().message(), ")");
  }
  return *stacks;
}

absl::StatusOr<std::string> RunCommand(std::vector<std::string> argv,
                                       absl::Duration timeout, int* exit_code) {
  const std::string command = Quote(argv);
  Subprocess::Options options;
  options.capture_stdout = true;
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(std::move(argv), options);
  if (!process.ok()) return process.status();

  absl::StatusOr<int> code = (*process)->Wait(timeout);
  if (!code.ok()) {
    (void)(*process)->Signal(SIGKILL);
    (void)(*process)->Wait(absl::InfiniteDuration());
    return absl::DeadlineExceededError(absl::StrCat(
        command, " killed after ", absl::FormatDuration(timeout),
        "; stdout so far:\n", (*process)->ConsumeCapturedStdout()));
  }
  std::string output = (*process)->ConsumeCapturedStdout();
  if (exit_code != nullptr) {
    *exit_code = *code;
  } else if (*code != 0) {
    return absl::InternalError(
        absl::StrCat(command, " exited with ", *code, "; stdout:\n", output));
  }
  return output;
}

absl::StatusOr<int> ReadListeningPort(Subprocess& process,
                                      absl::Duration timeout) {
  absl::StatusOr<std::string> address =
      process.ReadLineMatching(kListeningPrefix, timeout);
  if (!address.ok()) return address.status();
  const size_t colon = address->rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(*address).substr(colon + 1), &port) ||
      port <= 0 || port > 65535) {
    return absl::InternalError(absl::StrCat("cannot parse port from \"",
                                            kListeningPrefix, *address, "\""));
  }
  return port;
}

}  // namespace asyncgrpc::testing
