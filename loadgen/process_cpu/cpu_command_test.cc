// `loadgen cpu` against real forked processes: a child that burns CPU through
// the window is measured near what it burned; bad input exits 2 before any
// wait; a process gone mid-window exits 1.
#include "loadgen/process_cpu/cpu_command.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "loadgen/process_cpu/test_processes.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {
namespace {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome RunCpu(std::vector<std::string> processes,
               absl::Duration window = absl::Milliseconds(400),
               absl::Duration warmup = absl::ZeroDuration()) {
  std::ostringstream out, err;
  const int code = CpuCommand(
      {.processes = std::move(processes), .warmup = warmup, .window = window},
      out, err);
  return {code, out.str(), err.str()};
}

TEST(CpuCommandTest, MeasuresAProcessBurningCpuThroughTheWindow) {
  ForkedProcess child([](ForkedProcess& self) {
    self.WaitForGo();
    BurnProcessCpuUntil(absl::Seconds(60));
  });
  ASSERT_GT(child.pid(), 0);
  child.Go();
  const Outcome outcome =
      RunCpu({absl::StrCat("burner=", child.pid())}, absl::Milliseconds(600));
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  ::loadgen::v1::Step step;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(outcome.out, &step).ok())
      << outcome.out;
  EXPECT_GE(step.duration_s(), 0.6);
  ASSERT_TRUE(step.processes().contains("burner")) << outcome.out;
  // One core busy for the window, give or take what the machine's other
  // work took from it.
  EXPECT_GT(step.processes().at("burner").cpu_s(), 0.1);
  EXPECT_LE(step.processes().at("burner").cpu_s(), step.duration_s() + 0.05);
}

TEST(CpuCommandTest, AProcessGoneMidWindowFailsWithOneLine) {
  auto child = std::make_unique<ForkedProcess>([](ForkedProcess& self) {
    self.WaitForGo();
    WaitToBeKilled();
  });
  const int pid = child->pid();
  ASSERT_GT(pid, 0);
  std::ostringstream out, err;
  std::thread killer([&] {
    absl::SleepFor(absl::Milliseconds(200));
    child.reset();
  });
  const int code = CpuCommand({.processes = {absl::StrCat("gone=", pid)},
                               .warmup = absl::ZeroDuration(),
                               .window = absl::Seconds(1)},
                              out, err);
  killer.join();
  EXPECT_EQ(code, 1);
  EXPECT_EQ(err.str(), absl::StrCat("loadgen: cpu: not there for the whole "
                                    "window: gone=",
                                    pid, "\n"));
  EXPECT_EQ(out.str(), "");
}

TEST(CpuCommandTest, BadInputExitsTwoWithOneLine) {
  const std::string self = absl::StrCat("me=", getpid());
  const struct {
    std::vector<std::string> processes;
    absl::Duration window;
    absl::Duration warmup;
    std::string message;
  } cases[] = {
      {{}, absl::Seconds(1), absl::ZeroDuration(), "name at least one"},
      {{"h2load"}, absl::Seconds(1), absl::ZeroDuration(), "h2load"},
      {{"h2load=abc"}, absl::Seconds(1), absl::ZeroDuration(), "h2load=abc"},
      {{self, self}, absl::Seconds(1), absl::ZeroDuration(), "given twice"},
      {{absl::StrCat("x=", DeadPid())},
       absl::Seconds(1),
       absl::ZeroDuration(),
       "no process"},
      {{self}, absl::ZeroDuration(), absl::ZeroDuration(), "--step_duration"},
      {{self}, absl::Seconds(1), absl::Seconds(-1), "--warmup"},
  };
  for (const auto& c : cases) {
    const absl::Time start = absl::Now();
    const Outcome outcome = RunCpu(c.processes, c.window, c.warmup);
    EXPECT_EQ(outcome.code, 2) << c.message;
    EXPECT_NE(outcome.err.find(c.message), std::string::npos) << outcome.err;
    EXPECT_EQ(std::count(outcome.err.begin(), outcome.err.end(), '\n'), 1)
        << outcome.err;
    EXPECT_EQ(outcome.out, "");
    EXPECT_LT(absl::Now() - start, absl::Milliseconds(500)) << c.message;
  }
}

}  // namespace
}  // namespace asyncgrpc::loadgen
