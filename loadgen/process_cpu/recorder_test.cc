#include "loadgen/process_cpu/recorder.h"

#include <unistd.h>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "loadgen/process_cpu/test_processes.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

const Target kTarget{.name = "async", .address = "127.0.0.1:50052"};

pb::Step Recorded(StepObserver& recorder, int index) {
  pb::Step step;
  step.set_index(index);
  recorder.AddTo(&step);
  return step;
}

TEST(ProcessCpuRecorderTest, RecordsLoadgenItself) {
  std::unique_ptr<StepObserver> recorder =
      NewProcessCpuRecorder(RunConfig(), kTarget);
  ASSERT_NE(recorder, nullptr);
  recorder->WindowStart(0);
  BurnThreadCpu(absl::Milliseconds(200));
  recorder->WindowEnd(0);
  const pb::Step step = Recorded(*recorder, 0);
  ASSERT_EQ(step.processes().size(), 1u);
  ASSERT_TRUE(step.processes().contains("loadgen"));
  const pb::ProcessUse& use = step.processes().at("loadgen");
  EXPECT_GT(use.cpu_s(), 0);
  EXPECT_EQ(use.source(), "proc");
  EXPECT_EQ(use.pid(), getpid());
  EXPECT_TRUE(use.has_context_switches());
}

TEST(ProcessCpuRecorderTest, SamplesTheTargetsServerAndTheDatabase) {
  RunConfig config;
  config.cpu_pids = {{.name = "sync", .pid = 11},
                     {.name = "async", .pid = 12},
                     {.name = "db", .pid = 13}};
  const std::vector<ProcessCpuRecorder::Process> processes =
      ProcessesToSample(config, kTarget);
  ASSERT_EQ(processes.size(), 3u);
  EXPECT_EQ(processes[0].name, "loadgen");
  EXPECT_EQ(processes[0].pid, getpid());
  EXPECT_EQ(processes[0].scope, CpuScope::kProcess);
  EXPECT_EQ(processes[1].name, "async");
  EXPECT_EQ(processes[1].pid, 12);
  EXPECT_EQ(processes[1].scope, CpuScope::kProcess);
  EXPECT_EQ(processes[2].name, "db");
  EXPECT_EQ(processes[2].pid, 13);
  EXPECT_EQ(processes[2].scope, CpuScope::kTree);
}

TEST(ProcessCpuRecorderTest, RecordsEveryProcessPerStep) {
  // The "server" and the "database" spin for as long as they live.
  ForkedProcess server(
      [](ForkedProcess&) { BurnProcessCpuUntil(absl::InfiniteDuration()); });
  ForkedProcess db(
      [](ForkedProcess&) { BurnProcessCpuUntil(absl::InfiniteDuration()); });
  ASSERT_GT(server.pid(), 0);
  ASSERT_GT(db.pid(), 0);
  RunConfig config;
  config.cpu_pids = {{.name = "async", .pid = server.pid()},
                     {.name = "db", .pid = db.pid()}};
  std::unique_ptr<StepObserver> recorder =
      NewProcessCpuRecorder(config, kTarget);
  for (int index : {0, 1}) {
    recorder->WindowStart(index);
    BurnThreadCpu(absl::Milliseconds(200));
    recorder->WindowEnd(index);
  }
  for (int index : {0, 1}) {
    const pb::Step step = Recorded(*recorder, index);
    ASSERT_EQ(step.processes().size(), 3u) << index;
    for (const auto& [name, pid] :
         {std::pair<std::string, int>{"loadgen", getpid()},
          {"async", server.pid()},
          {"db", db.pid()}}) {
      ASSERT_TRUE(step.processes().contains(name)) << name;
      const pb::ProcessUse& use = step.processes().at(name);
      EXPECT_GT(use.cpu_s(), 0) << name;
      EXPECT_EQ(use.source(), "proc") << name;
      EXPECT_EQ(use.pid(), pid) << name;
    }
  }
}

TEST(ProcessCpuRecorderTest, LeavesOutAProcessThatDied) {
  auto server =
      std::make_unique<ForkedProcess>([](ForkedProcess&) { WaitToBeKilled(); });
  ASSERT_GT(server->pid(), 0);
  RunConfig config;
  config.cpu_pids = {{.name = "async", .pid = server->pid()},
                     {.name = "db", .pid = DeadPid()}};
  std::unique_ptr<StepObserver> recorder =
      NewProcessCpuRecorder(config, kTarget);
  recorder->WindowStart(0);
  recorder->WindowEnd(0);
  // Waits for step 0's samples, taken while the server lived.
  const pb::Step alive = Recorded(*recorder, 0);
  server.reset();  // Killed and reaped.
  recorder->WindowStart(1);
  recorder->WindowEnd(1);
  const pb::Step dead = Recorded(*recorder, 1);
  EXPECT_TRUE(alive.processes().contains("loadgen"));
  EXPECT_TRUE(alive.processes().contains("async"));
  EXPECT_FALSE(alive.processes().contains("db"));
  EXPECT_TRUE(dead.processes().contains("loadgen"));
  EXPECT_FALSE(dead.processes().contains("async"));
  EXPECT_FALSE(dead.processes().contains("db"));
}

TEST(ProcessCpuRecorderTest, AddsNothingForAStepItDidNotSee) {
  std::unique_ptr<StepObserver> recorder =
      NewProcessCpuRecorder(RunConfig(), kTarget);
  EXPECT_TRUE(Recorded(*recorder, 3).processes().empty());
}

}  // namespace
}  // namespace asyncgrpc::loadgen
