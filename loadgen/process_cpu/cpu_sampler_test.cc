#include "loadgen/process_cpu/cpu_sampler.h"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "loadgen/process_cpu/test_processes.h"

namespace asyncgrpc::loadgen {
namespace {

// Generous: a busy 2-core machine slows the children, not their CPU use.
constexpr absl::Duration kPatience = absl::Seconds(120);

TEST(SampleProcessTest, GrowsByTheCpuTheProcessBurned) {
  ForkedProcess child([](ForkedProcess& self) {
    self.WaitForGo();
    BurnProcessCpuUntil(absl::Milliseconds(300));
    self.SignalDone();
    WaitToBeKilled();
  });
  ASSERT_GT(child.pid(), 0);
  absl::StatusOr<CpuSample> before = SampleProcess(child.pid());
  ASSERT_TRUE(before.ok()) << before.status();
  child.Go();
  ASSERT_TRUE(child.WaitForDone(kPatience));
  absl::StatusOr<CpuSample> after = SampleProcess(child.pid());
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_GE(after->cpu_s - before->cpu_s, 0.25);
  EXPECT_LE(after->cpu_s - before->cpu_s, 0.6);
  EXPECT_EQ(after->start_ticks, before->start_ticks);
  // At least the wait for "go" and the write of "done".
  EXPECT_GE(after->context_switches, 1);
}

TEST(SampleProcessTest, CountsItsOwnProcess) {
  absl::StatusOr<CpuSample> before = SampleProcess(getpid());
  ASSERT_TRUE(before.ok()) << before.status();
  BurnThreadCpu(absl::Milliseconds(100));
  absl::StatusOr<CpuSample> after = SampleProcess(getpid());
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_GE(after->cpu_s - before->cpu_s, 0.05);
}

// A parent that, once told to go, forks `children` children that each burn
// 100 ms of CPU and exit, reaps them all, and says it is done.
void ForkBurnAndReap(ForkedProcess& self, int children) {
  self.WaitForGo();
  std::vector<pid_t> pids;
  for (int i = 0; i < children; ++i) {
    const pid_t pid = fork();
    if (pid == 0) {
      BurnProcessCpuUntil(absl::Milliseconds(100));
      _exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    waitpid(pid, nullptr, 0);
  }
  self.SignalDone();
  WaitToBeKilled();
}

TEST(SampleProcessTreeTest, CountsChildrenThatExitedMidRun) {
  constexpr int kChildren = 4;
  ForkedProcess parent(
      [](ForkedProcess& self) { ForkBurnAndReap(self, kChildren); });
  ASSERT_GT(parent.pid(), 0);
  absl::StatusOr<CpuSample> before = SampleProcessTree(parent.pid());
  ASSERT_TRUE(before.ok()) << before.status();
  parent.Go();
  // Sampled again and again while the children burn, exit and are reaped:
  // none of it may fail.
  int samples = 0;
  ASSERT_TRUE(parent.WaitForDone(kPatience, [&] {
    absl::StatusOr<CpuSample> during = SampleProcessTree(parent.pid());
    ASSERT_TRUE(during.ok()) << during.status();
    ++samples;
  }));
  absl::StatusOr<CpuSample> after = SampleProcessTree(parent.pid());
  ASSERT_TRUE(after.ok()) << after.status();
  const double burned_s = kChildren * 0.1;
  EXPECT_GE(after->cpu_s - before->cpu_s, burned_s - 0.1) << samples;
  EXPECT_LE(after->cpu_s - before->cpu_s, burned_s + 0.5) << samples;
}

TEST(SampleProcessTreeTest, CountsLiveChildren) {
  ForkedProcess parent([](ForkedProcess& self) {
    const pid_t child = fork();
    if (child == 0) {
      // Dies with its parent, which the test kills.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      BurnProcessCpuUntil(absl::Milliseconds(200));
      self.SignalDone();
      WaitToBeKilled();
    }
    WaitToBeKilled();
  });
  ASSERT_GT(parent.pid(), 0);
  ASSERT_TRUE(parent.WaitForDone(kPatience));
  absl::StatusOr<CpuSample> tree = SampleProcessTree(parent.pid());
  absl::StatusOr<CpuSample> alone = SampleProcess(parent.pid());
  ASSERT_TRUE(tree.ok()) << tree.status();
  ASSERT_TRUE(alone.ok()) << alone.status();
  EXPECT_GE(tree->cpu_s - alone->cpu_s, 0.15);
}

TEST(SampleCpuTest, NamesAPidThatDoesNotExist) {
  const int pid = DeadPid();
  for (CpuScope scope : {CpuScope::kProcess, CpuScope::kTree}) {
    absl::StatusOr<CpuSample> sample = SampleCpu(pid, scope);
    EXPECT_EQ(sample.status().code(), absl::StatusCode::kNotFound);
    EXPECT_TRUE(absl::StrContains(sample.status().message(),
                                  absl::StrCat("process ", pid)))
        << sample.status();
  }
}

}  // namespace
}  // namespace asyncgrpc::loadgen
