// Subprocess::Start (see subprocess.h): prepares the child's descriptors and
// environment, forks, execs the command in the child and reports exec
// failures to the parent; then starts the stdout reader thread.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/subprocess.h"
#include "tests/support/subprocess_internal.h"

extern char** environ;

namespace asyncgrpc::testing {
namespace {

using internal::CloseIfOpen;
using internal::ErrnoStatus;

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

// The descriptors Start() opens for one child. O_CLOEXEC everywhere so that
// concurrently started children never inherit these ends (an inherited write
// end would delay EOF forever).
struct ChildFds {
  int stdout_pipe[2] = {-1, -1};  // Only opened when stdout is captured.
  int exec_error_pipe[2] = {-1, -1};
  int devnull_fd = -1;

  void CloseAll() {
    for (int fd : {stdout_pipe[0], stdout_pipe[1], exec_error_pipe[0],
                   exec_error_pipe[1], devnull_fd}) {
      CloseIfOpen(fd);
    }
  }
};

// Opens `fds`; on failure closes whatever it had opened.
absl::Status OpenChildFds(bool capture_stdout, ChildFds& fds) {
  if (capture_stdout && pipe2(fds.stdout_pipe, O_CLOEXEC) != 0) {
    return ErrnoStatus(errno, "pipe2");
  }
  if (pipe2(fds.exec_error_pipe, O_CLOEXEC) != 0) {
    int error = errno;
    fds.CloseAll();
    return ErrnoStatus(error, "pipe2");
  }
  fds.devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fds.devnull_fd < 0) {
    int error = errno;
    fds.CloseAll();
    return ErrnoStatus(error, "open /dev/null");
  }
  return absl::OkStatus();
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

// In the parent: the error pipe is closed by a successful exec (EOF) or
// carries exec's errno, which this returns. Closes `exec_error_read_fd`.
std::optional<int> ReadExecErrno(int exec_error_read_fd) {
  int exec_errno = 0;
  ssize_t n;
  do {
    n = read(exec_error_read_fd, &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  CloseIfOpen(exec_error_read_fd);
  if (n == sizeof(exec_errno)) return exec_errno;
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    std::vector<std::string> argv, Options options) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");

  // Everything the child needs is prepared before fork(): after fork() only
  // async-signal-safe functions may be used (other threads may hold locks).
  std::vector<char*> argv_pointers = ToCharPointers(argv);
  std::vector<std::string> env = BuildEnvironment(options.env);
  std::vector<char*> env_pointers = ToCharPointers(env);
  const long max_fd = std::clamp(sysconf(_SC_OPEN_MAX), 256L, 65536L);

  ChildFds fds;
  if (absl::Status opened = OpenChildFds(options.capture_stdout, fds);
      !opened.ok()) {
    return opened;
  }

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    int error = errno;
    fds.CloseAll();
    return ErrnoStatus(error, "fork");
  }
  if (pid == 0) {
    ExecChild(parent, argv_pointers.data(), env_pointers.data(), fds.devnull_fd,
              fds.stdout_pipe[1], options.inherit_stderr,
              fds.exec_error_pipe[1], max_fd);
  }

  // Parent.
  CloseIfOpen(fds.stdout_pipe[1]);
  CloseIfOpen(fds.exec_error_pipe[1]);
  CloseIfOpen(fds.devnull_fd);

  if (std::optional<int> exec_errno = ReadExecErrno(fds.exec_error_pipe[0])) {
    CloseIfOpen(fds.stdout_pipe[0]);
    int ignored;
    internal::WaitPid(pid, &ignored, 0);
    return ErrnoStatus(*exec_errno,
                       absl::StrCat("exec ", internal::Quote(argv)));
  }

  const int stdout_fd = fds.stdout_pipe[0];
  if (stdout_fd >= 0) {
    // Only the read end is non-blocking (the child's end stays blocking).
    fcntl(stdout_fd, F_SETFL, fcntl(stdout_fd, F_GETFL) | O_NONBLOCK);
  }
  std::unique_ptr<Subprocess> process(
      new Subprocess(pid, argv[0], stdout_fd, options));
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

}  // namespace asyncgrpc::testing
