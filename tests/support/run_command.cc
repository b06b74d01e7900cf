// RunCommand and ThreadStacks (see subprocess.h): run a command to completion
// through Subprocess and return its stdout; ThreadStacks does so with gdb to
// dump a hanging process's threads.
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "tests/support/subprocess.h"
#include "tests/support/subprocess_internal.h"

namespace asyncgrpc::testing {

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
  const std::string command = internal::Quote(argv);
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

}  // namespace asyncgrpc::testing
