// Unit tests for the test-support library: Subprocess, RunCommand,
// ReadListeningPort, PickFreePort and WaitFor. (PostgresCluster is exercised
// by the integration tests that use it.)
#include "tests/support/subprocess.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "tests/support/ports.h"
#include "tests/support/wait.h"

namespace asyncgrpc::testing {
namespace {

constexpr absl::Duration kTimeout = absl::Seconds(10);

// True if `pid` no longer exists or is a zombie nobody reaped (an orphan's
// new parent may not reap in a container).
bool GoneOrZombie(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string contents;
  if (!stat || !std::getline(stat, contents)) return true;
  const size_t paren = contents.rfind(')');
  return paren == std::string::npos || paren + 2 >= contents.size() ||
         contents[paren + 2] == 'Z';
}

std::unique_ptr<Subprocess> StartOrDie(std::vector<std::string> argv,
                                       Subprocess::Options options = {}) {
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(std::move(argv), std::move(options));
  EXPECT_TRUE(process.ok()) << process.status();
  return process.ok() ? std::move(*process) : nullptr;
}

TEST(SubprocessTest, ReadLineMatchingReturnsRestOfLine) {
  auto process = StartOrDie(
      {"sh", "-c", "echo noise; echo 'ready: yes'; echo 'ready: again'"});
  ASSERT_NE(process, nullptr);
  absl::StatusOr<std::string> rest =
      process->ReadLineMatching("ready: ", kTimeout);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(*rest, "yes");
  // Lines are consumed: the next read sees the following line.
  rest = process->ReadLineMatching("ready: ", kTimeout);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(*rest, "again");
  EXPECT_EQ(process->Wait(kTimeout).value_or(-1), 0);
}

TEST(SubprocessTest, UnterminatedLastLineIsMatched) {
  auto process = StartOrDie({"printf", "a\\nlast=1"});
  ASSERT_NE(process, nullptr);
  absl::StatusOr<std::string> rest =
      process->ReadLineMatching("last=", kTimeout);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(*rest, "1");
}

TEST(SubprocessTest, ReadListeningPortParsesPort) {
  auto process = StartOrDie(
      {"sh", "-c",
       "echo starting; echo 'listening on 127.0.0.1:43210'; exec sleep 30"});
  ASSERT_NE(process, nullptr);
  absl::StatusOr<int> port = ReadListeningPort(*process, kTimeout);
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_EQ(*port, 43210);
  EXPECT_TRUE(process->Running());
}

TEST(SubprocessTest, ReadListeningPortRejectsGarbage) {
  auto process = StartOrDie({"echo", "listening on nowhere"});
  ASSERT_NE(process, nullptr);
  EXPECT_FALSE(ReadListeningPort(*process, kTimeout).ok());
}

TEST(SubprocessTest, ReadLineMatchingFailsFastWhenChildExits) {
  auto process = StartOrDie({"sh", "-c", "echo something else; exit 1"});
  ASSERT_NE(process, nullptr);
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> rest =
      process->ReadLineMatching("never", absl::Seconds(30));
  EXPECT_EQ(rest.status().code(), absl::StatusCode::kNotFound) << rest.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_NE(rest.status().message().find("something else"), std::string::npos)
      << rest.status();
}

TEST(SubprocessTest, ReadLineMatchingFailsFastEvenIfGrandchildHoldsStdout) {
  auto process = StartOrDie({"sh", "-c", "sleep 5 2>/dev/null & exit 0"});
  ASSERT_NE(process, nullptr);
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> rest =
      process->ReadLineMatching("never", absl::Seconds(30));
  EXPECT_EQ(rest.status().code(), absl::StatusCode::kNotFound) << rest.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
}

TEST(SubprocessTest, ReadLineMatchingTimesOutAndLeavesChildRunning) {
  auto process = StartOrDie({"sleep", "30"});
  ASSERT_NE(process, nullptr);
  absl::StatusOr<std::string> rest =
      process->ReadLineMatching("x", absl::Milliseconds(200));
  EXPECT_EQ(rest.status().code(), absl::StatusCode::kDeadlineExceeded)
      << rest.status();
  EXPECT_TRUE(process->Running());
}

TEST(SubprocessTest, ReadLineMatchingWithoutCaptureFails) {
  Subprocess::Options options;
  options.capture_stdout = false;
  auto process = StartOrDie({"true"}, options);
  ASSERT_NE(process, nullptr);
  EXPECT_EQ(process->ReadLineMatching("", kTimeout).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SubprocessTest, PassesExtraEnvironment) {
  Subprocess::Options options;
  options.env = {{"ASYNCGRPC_SUPPORT_TEST_VAR", "hello world"},
                 {"HOME", "/overridden"}};
  auto process = StartOrDie(
      {"sh", "-c", "echo \"var=$ASYNCGRPC_SUPPORT_TEST_VAR\"; echo home=$HOME"},
      options);
  ASSERT_NE(process, nullptr);
  EXPECT_EQ(process->ReadLineMatching("var=", kTimeout).value_or("?"),
            "hello world");
  EXPECT_EQ(process->ReadLineMatching("home=", kTimeout).value_or("?"),
            "/overridden");
}

TEST(SubprocessTest, ChattyChildNeverBlocksOnFullPipe) {
  // Far more than a pipe buffer, never read by the test until the end.
  auto process = StartOrDie({"sh", "-c",
                             "head -c 2000000 /dev/zero | tr '\\0' 'y'; "
                             "echo; echo done"});
  ASSERT_NE(process, nullptr);
  EXPECT_EQ(process->Wait(kTimeout).value_or(-1), 0);
  EXPECT_TRUE(process->ReadLineMatching("done", kTimeout).ok());
}

TEST(SubprocessTest, WaitReturnsExitCode) {
  auto process = StartOrDie({"sh", "-c", "exit 3"});
  ASSERT_NE(process, nullptr);
  EXPECT_EQ(process->Wait(kTimeout).value_or(-1), 3);
  // Waiting again returns the same code.
  EXPECT_EQ(process->Wait(kTimeout).value_or(-1), 3);
  EXPECT_FALSE(process->Running());
}

TEST(SubprocessTest, WaitReportsDeathBySignalAs128PlusSignal) {
  auto process = StartOrDie({"sh", "-c", "kill -KILL $$"});
  ASSERT_NE(process, nullptr);
  EXPECT_EQ(process->Wait(kTimeout).value_or(-1), 128 + SIGKILL);
}

TEST(SubprocessTest, WaitTimesOutThenSignalStopsChild) {
  auto process = StartOrDie({"sleep", "30"});
  ASSERT_NE(process, nullptr);
  const absl::Time start = absl::Now();
  absl::StatusOr<int> code = process->Wait(absl::Milliseconds(200));
  EXPECT_EQ(code.status().code(), absl::StatusCode::kDeadlineExceeded)
      << code.status();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(200));
  EXPECT_TRUE(process->Running());

  ASSERT_TRUE(process->Signal(SIGTERM).ok());
  EXPECT_EQ(process->Wait(kTimeout).value_or(-1), 128 + SIGTERM);
  EXPECT_FALSE(process->Running());
  // Signalling a reaped child is refused (its pid may have been recycled).
  EXPECT_EQ(process->Signal(SIGTERM).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SubprocessTest, StartFailsForMissingBinary) {
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start({"/nonexistent/asyncgrpc-no-such-binary"});
  EXPECT_EQ(process.status().code(), absl::StatusCode::kNotFound)
      << process.status();
  EXPECT_EQ(Subprocess::Start({}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SubprocessTest, DestructorKillsAndReapsChild) {
  auto process = StartOrDie({"sleep", "30"});
  ASSERT_NE(process, nullptr);
  const pid_t pid = process->pid();
  ASSERT_EQ(kill(pid, 0), 0);
  process.reset();
  // Reaped, not a zombie: our own waitpid has nothing left to collect.
  const pid_t result = waitpid(pid, nullptr, WNOHANG);
  const int error = errno;
  EXPECT_EQ(result, -1);
  EXPECT_EQ(error, ECHILD);
  EXPECT_EQ(kill(pid, 0), -1);
}

TEST(SubprocessTest, DestructorSendsSigtermFirstWhenGiven) {
  const std::string marker = ::testing::TempDir() + "/subprocess_test_term";
  std::remove(marker.c_str());
  Subprocess::Options options;
  options.stop_grace = kTimeout;
  auto process = StartOrDie(
      {"sh", "-c",
       absl::StrCat(
           "trap 'echo term > ", marker,
           "; exit 0' TERM; echo ready; while :; do sleep 0.05; done")},
      options);
  ASSERT_NE(process, nullptr);
  ASSERT_TRUE(process->ReadLineMatching("ready", kTimeout).ok());
  process.reset();
  std::ifstream file(marker);
  std::string contents;
  EXPECT_TRUE(std::getline(file, contents));
  EXPECT_EQ(contents, "term");
  std::remove(marker.c_str());
}

TEST(SubprocessTest, SanitizerExitCodeFailsTheTest) {
  Subprocess::Options options;
  options.sanitizer_exit_code = 66;
  auto process = StartOrDie({"sh", "-c", "exit 66"}, options);
  ASSERT_NE(process, nullptr);
  EXPECT_NONFATAL_FAILURE(EXPECT_EQ(process->Wait(kTimeout).value_or(-1), 66),
                          "the sanitizers' exit code");
  // Other exit codes are the test's business.
  auto other = StartOrDie({"sh", "-c", "exit 65"}, options);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->Wait(kTimeout).value_or(-1), 65);
}

TEST(SubprocessTest, ChildDiesWithTestProcess) {
  // A forked helper plays the "test process": it starts a child and dies.
  int pid_pipe[2];
  ASSERT_EQ(pipe(pid_pipe), 0);
  const pid_t helper = fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    close(pid_pipe[0]);
    Subprocess::Options options;
    options.capture_stdout = false;  // No reader thread in the forked helper.
    absl::StatusOr<std::unique_ptr<Subprocess>> child =
        Subprocess::Start({"sleep", "30"}, options);
    pid_t child_pid = child.ok() ? (*child)->pid() : -1;
    ssize_t ignored = write(pid_pipe[1], &child_pid, sizeof(child_pid));
    (void)ignored;
    _exit(0);  // No destructors: only PR_SET_PDEATHSIG can kill the child.
  }
  close(pid_pipe[1]);
  pid_t child_pid = -1;
  ASSERT_EQ(read(pid_pipe[0], &child_pid, sizeof(child_pid)),
            static_cast<ssize_t>(sizeof(child_pid)));
  close(pid_pipe[0]);
  ASSERT_GT(child_pid, 0);
  ASSERT_EQ(waitpid(helper, nullptr, 0), helper);
  EXPECT_TRUE(WaitFor([&] { return GoneOrZombie(child_pid); }, kTimeout));
}

TEST(RunCommandTest, CapturesStdoutAndExitCode) {
  int exit_code = -1;
  absl::StatusOr<std::string> output =
      RunCommand({"sh", "-c", "echo one; echo two >&2; echo three; exit 2"},
                 kTimeout, &exit_code);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(*output, "one\nthree\n");
  EXPECT_EQ(exit_code, 2);
}

TEST(RunCommandTest, NonZeroExitIsAnErrorWithoutExitCodePointer) {
  EXPECT_EQ(RunCommand({"true"}, kTimeout).value_or("x"), "");
  absl::StatusOr<std::string> output =
      RunCommand({"sh", "-c", "echo why; exit 1"}, kTimeout);
  EXPECT_EQ(output.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(output.status().message().find("why"), std::string::npos);
}

TEST(RunCommandTest, KillsCommandOnTimeout) {
  const absl::Time start = absl::Now();
  int exit_code = -1;
  absl::StatusOr<std::string> output =
      RunCommand({"sh", "-c", "echo partial; exec sleep 30"},
                 absl::Milliseconds(300), &exit_code);
  EXPECT_EQ(output.status().code(), absl::StatusCode::kDeadlineExceeded)
      << output.status();
  EXPECT_NE(output.status().message().find("partial"), std::string::npos);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST(RunCommandTest, DoesNotWaitForBackgroundedGrandchild) {
  // Like a start script that leaves a daemon holding its stdout.
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> output =
      RunCommand({"sh", "-c", "echo uri; sleep 5 2>/dev/null &"}, kTimeout);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(*output, "uri\n");
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
}

TEST(PickFreePortTest, ReturnsDistinctBindablePorts) {
  const int first = PickFreePort();
  const int second = PickFreePort();
  ASSERT_GT(first, 0);
  ASSERT_GT(second, 0);
  EXPECT_NE(first, second);

  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address;
  std::memset(&address, 0, sizeof(address));
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(first));
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0)
      << std::strerror(errno);
  close(fd);
}

TEST(WaitForTest, ReturnsWhenConditionHoldsOrTimesOut) {
  int calls = 0;
  EXPECT_TRUE(
      WaitFor([&] { return ++calls >= 3; }, kTimeout, absl::Milliseconds(1)));
  EXPECT_EQ(calls, 3);
  const absl::Time start = absl::Now();
  EXPECT_FALSE(WaitFor([] { return false; }, absl::Milliseconds(100)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));
}

}  // namespace
}  // namespace asyncgrpc::testing
