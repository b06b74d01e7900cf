// Subprocess: starts a real child process (fork + execvp) for integration and
// failure tests, optionally captures its stdout line by line, and guarantees
// the child never outlives the test process.
//
// Typical use with a service that prints `listening on 127.0.0.1:PORT`:
//
//   auto server = Subprocess::Start({binary, "--port=0"});
//   ASSERT_TRUE(server.ok()) << server.status();
//   absl::StatusOr<int> port = ReadListeningPort(**server, absl::Seconds(10));
//   ASSERT_TRUE(port.ok()) << port.status();
//   ...
//   ASSERT_TRUE((*server)->Signal(SIGTERM).ok());
//   EXPECT_EQ((*server)->Wait(absl::Seconds(10)).value_or(-1), 0);
#pragma once

#include <sys/types.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace asyncgrpc::testing {

// Options for Subprocess::Start. (Defined outside the class so that it can be
// used as a default argument with its default member initializers.)
struct SubprocessOptions {
  // Connect the child's stdout to a pipe. A background thread drains the pipe
  // continuously, so a chatty child can never block on a full pipe; lines are
  // then available to ReadLineMatching() / ConsumeCapturedStdout(). When
  // false, the child inherits the test's stdout.
  bool capture_stdout = true;
  // Also copy every captured stdout line to the test's stderr (debugging aid).
  bool echo_captured_stdout = false;
  // Inherit the test's stderr (so service logs appear in the test log). When
  // false, the child's stderr goes to /dev/null.
  bool inherit_stderr = true;
  // Environment variables added to (or overriding) the test's environment.
  std::vector<std::pair<std::string, std::string>> env;
  // How the destructor stops a child that is still running: SIGTERM, then
  // SIGKILL if it has not exited within this time; zero: SIGKILL at once.
  // Sanitizer builds set it (through $ASYNCGRPC_TEST_STOP_GRACE, e.g. "20s")
  // so that services exit normally and LeakSanitizer checks them.
  absl::Duration stop_grace = DefaultStopGrace();
  // An exit code that means "a sanitizer reported an error in the child":
  // reaping a child that exited with it fails the current test. -1: none.
  // Default: $ASYNCGRPC_TEST_SANITIZER_EXIT_CODE (the exitcode= given in
  // ASAN_OPTIONS, UBSAN_OPTIONS and TSAN_OPTIONS), else -1.
  int sanitizer_exit_code = DefaultSanitizerExitCode();

  static absl::Duration DefaultStopGrace();
  static int DefaultSanitizerExitCode();
};

// A started child process. stdin is always /dev/null.
//
// The child gets PR_SET_PDEATHSIG=SIGKILL, so it is killed when the test
// process dies (including when it is SIGKILLed by a ctest timeout). Caveat: the
// kernel ties this to the *thread* that called Start(), so call Start() from a
// thread that outlives the child (normally the test's main thread).
// Grandchildren (e.g. daemons started by a script) are not covered.
//
// All methods are thread-safe.
class Subprocess {
 public:
  using Options = SubprocessOptions;

  // Starts `argv` (argv[0] is looked up in PATH like execvp). Fails with
  // NotFound / PermissionDenied / ... if the exec itself fails.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      std::vector<std::string> argv, Options options = {});

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // SIGKILLs the child if it is still running (after SIGTERM and
  // Options::stop_grace, if that is set) and reaps it.
  ~Subprocess();

  pid_t pid() const { return pid_; }

  // Consumes captured stdout lines until one starts with `prefix` and returns
  // the rest of that line (without the prefix and without "\n" / "\r\n").
  // Lines before the match are consumed and discarded. Errors:
  //   DeadlineExceeded   - no such line within `timeout` (child left running);
  //   NotFound           - stdout ended (child exited) without such a line;
  //   FailedPrecondition - stdout is not captured.
  // Error messages include the last few skipped lines.
  absl::StatusOr<std::string> ReadLineMatching(std::string_view prefix,
                                               absl::Duration timeout);

  // Returns and clears all captured stdout not yet consumed by
  // ReadLineMatching(), including a trailing partial line. Once the child has
  // been reaped (by Wait()/Running()) everything it wrote is included.
  std::string ConsumeCapturedStdout();

  // Sends `signal` to the child. FailedPrecondition if it was already reaped.
  absl::Status Signal(int signal);

  // Waits up to `timeout` for the child to exit and returns its exit code, or
  // 128 + signal number if it was killed by a signal. Can be called again
  // after the child has exited (returns the same code). On timeout returns
  // DeadlineExceeded, with the child's thread backtraces (ThreadStacks), and
  // leaves the child running.
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // True until the child has exited (reaps it if it has).
  bool Running();

 private:
  Subprocess(pid_t pid, std::string name, int stdout_fd,
             const Options& options);

  // Non-blocking waitpid(); reaps the child if it exited. Returns true if the
  // child has been reaped (now or before).
  bool TryReap() ABSL_LOCKS_EXCLUDED(lifecycle_mutex_);
  // Records the exit status and stops the stdout reader after a final drain.
  void OnReapedLocked(int wait_status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lifecycle_mutex_);
  void StopReaderLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(lifecycle_mutex_);

  void ReaderLoop();
  void AppendOutput(const char* data, size_t size)
      ABSL_LOCKS_EXCLUDED(output_mutex_);

  const pid_t pid_;
  const std::string name_;  // argv[0], for messages.
  const int stdout_fd_;     // -1 if stdout is not captured.
  const bool echo_captured_stdout_;
  const absl::Duration stop_grace_;
  const int sanitizer_exit_code_;
  int wake_read_fd_ = -1;   // Wakes the reader thread up to stop it.
  int wake_write_fd_ = -1;  // (Only used when stdout is captured.)

  // Serializes waitpid/kill so that a pid is never signalled after it has
  // been reaped (and possibly recycled), and guards reader shutdown.
  absl::Mutex lifecycle_mutex_;
  std::optional<int> exit_code_ ABSL_GUARDED_BY(lifecycle_mutex_);
  std::thread reader_ ABSL_GUARDED_BY(lifecycle_mutex_);

  absl::Mutex output_mutex_;
  absl::CondVar output_changed_;
  std::deque<std::string> lines_ ABSL_GUARDED_BY(output_mutex_);
  size_t buffered_bytes_ ABSL_GUARDED_BY(output_mutex_) = 0;
  std::string partial_line_ ABSL_GUARDED_BY(output_mutex_);
  bool stdout_closed_ ABSL_GUARDED_BY(output_mutex_) = false;
};

// Runs `argv` to completion with stdout captured (stderr inherited) and
// returns its stdout. On timeout the command is SIGKILLed and
// DeadlineExceeded is returned. If `exit_code` is non-null it receives the
// exit code (128 + signal if killed) and any exit code counts as success; if
// it is null, a non-zero exit code is an Internal error.
//
// Output written after the command exits by background processes it left
// behind (e.g. a daemon holding the pipe) is not waited for.
absl::StatusOr<std::string> RunCommand(std::vector<std::string> argv,
                                       absl::Duration timeout,
                                       int* exit_code = nullptr);

// Every thread's backtrace of the running process `pid` (gdb -p), for a test
// that found a process hanging; a note saying why when gdb cannot attach.
std::string ThreadStacks(pid_t pid);

// Waits for the line `listening on 127.0.0.1:PORT` that services under test
// print once serving, and returns PORT (the number after the last ':').
absl::StatusOr<int> ReadListeningPort(Subprocess& process,
                                      absl::Duration timeout);

}  // namespace asyncgrpc::testing
