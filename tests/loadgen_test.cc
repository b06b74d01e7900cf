// loadgen end to end: short ramps against both real services, read back from
// results.json. Counts must add up, the outputs must all be there, bad input
// must stop before any load, and open-loop latency corrected for coordinated
// omission must exceed the uncorrected one when the server stalls.
#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "loadgen/results.pb.h"
#include "tests/service_harness.h"
#include "tests/support/ports.h"
#include "tests/support/postgres_cluster.h"

namespace asyncgrpc::testing {
namespace {

namespace pb = ::loadgen::v1;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct LoadgenRun {
  int exit_code = -1;
  std::string output;  // stdout + stderr
  pb::Results results;
};

class LoadgenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("asyncgrpc-loadgen-");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_.emplace(*std::move(dir));
  }

  LoadgenRun RunLoadgen(std::vector<std::string> args) {
    std::string command = BinaryPath("loadgen");
    args.push_back(absl::StrCat("--out=", dir_->path(), "/out"));
    for (const std::string& arg : args) {
      absl::StrAppend(&command, " '", arg, "'");
    }
    absl::StrAppend(&command, " 2>&1");
    LoadgenRun run;
    auto output = RunCommand({"/bin/sh", "-c", command}, absl::Seconds(120),
                             &run.exit_code);
    EXPECT_TRUE(output.ok()) << output.status();
    run.output = output.value_or("");
    const std::string json = ReadFile(dir_->path() + "/out/results.json");
    if (!json.empty()) {
      EXPECT_TRUE(
          google::protobuf::util::JsonStringToMessage(json, &run.results).ok());
    }
    return run;
  }

  std::string Out(const std::string& file) {
    return dir_->path() + "/out/" + file;
  }

  std::optional<TempDir> dir_;
};

void ExpectCountsAddUp(const pb::TargetResult& target) {
  for (const pb::Step& step : target.steps()) {
    int64_t errors = 0;
    for (const auto& [code, count] : step.errors()) {
      errors += count;
    }
    EXPECT_GT(step.requests(), 0) << target.name() << " step " << step.index();
    EXPECT_EQ(step.requests(), step.ok() + errors)
        << target.name() << " step " << step.index();
    EXPECT_EQ(step.histogram().total(), step.requests());
    EXPECT_GT(step.rps(), 0);
    EXPECT_LE(step.p50_ms(), step.p95_ms());
    EXPECT_LE(step.p95_ms(), step.p99_ms());
    EXPECT_LE(step.p99_ms(), step.max_ms() * 1.01);
  }
  // Every measured request also appears in the per-second timeline (which
  // includes warm-ups).
  int64_t measured = 0;
  int64_t timeline = 0;
  for (const pb::Step& step : target.steps()) {
    measured += step.requests();
  }
  for (const pb::TimelinePoint& point : target.timeline()) {
    timeline += static_cast<int64_t>(point.rps());
  }
  EXPECT_GE(timeline, measured);
}

// Every step has loadgen's and the server's CPU per call (--cpu_pid), and
// the server did some work.
void ExpectCpuPerCall(const pb::TargetResult& target) {
  double server_cpu_s = 0;
  for (const pb::Step& step : target.steps()) {
    ASSERT_TRUE(step.processes().contains(target.name())) << target.name();
    EXPECT_EQ(step.processes().at(target.name()).source(), "proc");
    server_cpu_s += step.processes().at(target.name()).cpu_s();
    EXPECT_TRUE(step.cpu_per_call_us().contains("loadgen"));
    EXPECT_TRUE(step.cpu_per_call_us().contains(target.name()));
    EXPECT_FALSE(step.cpu_per_call_us().contains("db"));
  }
  EXPECT_GT(server_cpu_s, 0) << target.name();
}

TEST_F(LoadgenTest, ClosedLoopRampAgainstBothServices) {
  auto sync = RunningService::Start(SyncService(), SharedDatabaseUri());
  auto async = RunningService::Start(AsyncService(), SharedDatabaseUri());
  ASSERT_TRUE(sync.ok() && async.ok());
  LoadgenRun run = RunLoadgen(
      {absl::StrCat("--target=sync=", (*sync)->address()),
       absl::StrCat("--target=async=", (*async)->address()), "--users=2:6:4",
       "--step_duration=2s", "--warmup=500ms", "--think_time=0",
       "--scenario=mix:get=8,list=1,seed=1", "--spawn_rate=1000",
       absl::StrCat("--cpu_pid=sync=", (*sync)->process().pid()),
       absl::StrCat("--cpu_pid=async=", (*async)->process().pid())});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("slowdown onset"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("report.html"), std::string::npos);
  const pb::Results& results = run.results;
  EXPECT_EQ(results.config().mode(), "closed");
  EXPECT_FALSE(results.rules().empty());
  ASSERT_EQ(results.targets_size(), 2);
  for (const pb::TargetResult& target : results.targets()) {
    ASSERT_EQ(target.steps_size(), 2) << target.name();
    EXPECT_EQ(target.steps(0).users(), 2);
    EXPECT_EQ(target.steps(1).users(), 6);
    ExpectCountsAddUp(target);
    // Saturation: rps grew by less than a quarter of the users' +200%.
    const double growth = target.steps(1).rps() / target.steps(0).rps() - 1;
    EXPECT_EQ(target.summary().has_saturation_at(), growth < 0.25 * 2.0)
        << growth;
    EXPECT_GT(target.summary().max_rps(), 0);
    ExpectCpuPerCall(target);
    EXPECT_TRUE(target.note().empty()) << target.note();
  }
  for (const char* file : {"steps.csv", "timeline.csv", "report.html"}) {
    EXPECT_TRUE(std::filesystem::exists(Out(file))) << file;
  }
  const std::vector<std::string> csv_lines =
      absl::StrSplit(ReadFile(Out("steps.csv")), '\n', absl::SkipEmpty());
  EXPECT_EQ(csv_lines.size(), 1u + 2 * 2);  // header + 2 targets x 2 steps

  // `loadgen report DIR` re-renders the page from results.json alone.
  std::filesystem::remove(Out("report.html"));
  int exit_code = -1;
  auto rerender =
      RunCommand({BinaryPath("loadgen"), "report", dir_->path() + "/out"},
                 absl::Seconds(30), &exit_code);
  EXPECT_EQ(exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(Out("report.html")));
}

TEST_F(LoadgenTest, OpenLoopMeetsItsPlannedRate) {
  auto async = RunningService::Start(AsyncService(), SharedDatabaseUri());
  ASSERT_TRUE(async.ok());
  LoadgenRun run =
      RunLoadgen({absl::StrCat("--target=async=", (*async)->address()),
                  "--rate=100:200:100", "--step_duration=2s", "--warmup=500ms",
                  "--scenario=get"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_EQ(run.results.targets_size(), 1);
  const pb::TargetResult& target = run.results.targets(0);
  ExpectCountsAddUp(target);
  ASSERT_EQ(target.steps_size(), 2);
  for (const pb::Step& step : target.steps()) {
    EXPECT_NEAR(step.achieved_rate(), step.rate(), step.rate() * 0.1);
    EXPECT_TRUE(step.valid()) << step.invalid_reason();
    EXPECT_GT(step.uncorrected().p50_ms(), 0);
  }
}

TEST_F(LoadgenTest, CorrectedLatencyExceedsUncorrectedWhenTheServerStalls) {
  // Each call waits 300 ms upstream; with at most 4 calls in flight loadgen can
  // send ~13/s of the planned 40/s, so sends go out late and only the corrected
  // latency shows the queue.
  auto slow = RunningService::Start(AsyncService(), SharedDatabaseUri(),
                                    {"--upstream_delay=300ms"});
  ASSERT_TRUE(slow.ok());
  LoadgenRun run =
      RunLoadgen({absl::StrCat("--target=slow=", (*slow)->address()),
                  "--rate=40", "--step_duration=3s", "--warmup=1s",
                  "--scenario=get", "--max_in_flight=4", "--deadline=30s"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_EQ(run.results.targets_size(), 1);
  ASSERT_EQ(run.results.targets(0).steps_size(), 1);
  const pb::Step& step = run.results.targets(0).steps(0);
  EXPECT_GE(step.uncorrected().p50_ms(), 300);
  EXPECT_GT(step.p99_ms(), 2 * step.uncorrected().p99_ms());
  EXPECT_LT(step.achieved_rate(), 0.95 * step.rate());
  // The server, not loadgen, was the bottleneck: the step stays valid.
  EXPECT_TRUE(step.valid()) << step.invalid_reason();
}

TEST_F(LoadgenTest, ATargetThatDiesEndsItsRunAndTheReportSaysSo) {
  auto doomed = RunningService::Start(AsyncService(), SharedDatabaseUri());
  ASSERT_TRUE(doomed.ok());
  std::thread killer([&] {
    absl::SleepFor(absl::Milliseconds(1500));
    (*doomed)->process().Signal(SIGKILL).IgnoreError();
  });
  LoadgenRun run =
      RunLoadgen({absl::StrCat("--target=doomed=", (*doomed)->address()),
                  "--step_duration=1s", "--warmup=100ms", "--think_time=0",
                  "--scenario=get", "--users=2:10:1", "--deadline=1s"});
  killer.join();
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_EQ(run.results.targets_size(), 1);
  const pb::TargetResult& target = run.results.targets(0);
  EXPECT_NE(target.note().find("unreachable"), std::string::npos)
      << target.note();
  EXPECT_LT(target.steps_size(), 9);
  EXPECT_GT(target.steps(target.steps_size() - 1).errors().at("UNAVAILABLE"),
            0);
}

// A sync service capped at 8 threads, each call 20 ms upstream: a closed loop
// of 2 users meets "errors<=1%", 8 and 14 do not (RESOURCE_EXHAUSTED), so the
// search bisects below 8, lowering the users from 14 and raising them again.
TEST_F(LoadgenTest, CapacitySearchWithRepeatsKeepsProbesApart) {
  auto capped =
      RunningService::Start(SyncService(), SharedDatabaseUri(),
                            {"--max_threads=8", "--upstream_delay=20ms"});
  ASSERT_TRUE(capped.ok());
  LoadgenRun run = RunLoadgen(
      {absl::StrCat("--target=capped=", (*capped)->address()), "--users=2:14:6",
       "--think_time=0", "--scenario=get", "--step_duration=2s",
       "--warmup=500ms", "--slo=errors<=1%", "--repeat=2"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("capacity (errors<=1%)"), std::string::npos)
      << run.output;
  ASSERT_EQ(run.results.targets_size(), 1);
  const pb::TargetResult& target = run.results.targets(0);
  ASSERT_EQ(target.repeats_size(), 2);
  EXPECT_EQ(target.summary().spread().runs(), 2);
  for (const pb::TargetResult& repeat : target.repeats()) {
    // The probes never join the ramp's steps, and stay inside its bracket.
    EXPECT_EQ(repeat.steps_size(), 3);
    const pb::Capacity& capacity = repeat.capacity();
    ASSERT_TRUE(capacity.has_met_at()) << capacity.statement();
    EXPECT_EQ(repeat.summary().capacity(), capacity.met_at());
    EXPECT_GE(capacity.met_at(), 2);
    EXPECT_LE(capacity.missed_at(), 8);
    EXPECT_GT(capacity.probes_size(), 0);
    for (const pb::Step& probe : capacity.probes()) {
      EXPECT_GT(probe.users(), 2);
      EXPECT_LT(probe.users(), 8);
      EXPECT_TRUE(probe.has_slo_met());
      // Lowered users were retired: 14 users left running would have most
      // calls refused.
      if (probe.users() <= 5) {
        EXPECT_LT(probe.error_ratio(), 0.5) << probe.users() << " users";
      }
    }
  }
}

// Every call waits 1.5 s upstream and loadgen keeps at most 200 in flight, so
// 100 calls/s meets "p99<=1600ms" and 300/s does not (its sends go out late).
// The step at 300/s ends with 200 calls in flight; the probe at 200/s must
// not count them: started after they ended, its 1.5 s window sees only the
// answers to its own first 0.5 s (about 100), not another ~130 left over.
TEST_F(LoadgenTest, CapacityProbeStartsAfterTheStepBeforeHasDrained) {
  auto slow = RunningService::Start(AsyncService(), SharedDatabaseUri(),
                                    {"--upstream_delay=1500ms"});
  ASSERT_TRUE(slow.ok());
  LoadgenRun run = RunLoadgen(
      {absl::StrCat("--target=slow=", (*slow)->address()), "--rate=100:300:200",
       "--max_in_flight=200", "--scenario=get", "--step_duration=2s",
       "--warmup=500ms", "--slo=p99<=1600ms", "--slo_precision=50%"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_EQ(run.results.targets_size(), 1);
  const pb::Capacity& capacity = run.results.targets(0).capacity();
  ASSERT_GE(capacity.probes_size(), 1) << capacity.statement();
  const pb::Step& probe = capacity.probes(0);
  EXPECT_EQ(probe.rate(), 200);
  EXPECT_LT(probe.ok(), 150) << "calls of the step before ended in the probe";
}

TEST_F(LoadgenTest, DiffOfARunWithItselfFindsNoDifference) {
  auto async = RunningService::Start(AsyncService(), SharedDatabaseUri());
  ASSERT_TRUE(async.ok());
  LoadgenRun run = RunLoadgen(
      {absl::StrCat("--target=async=", (*async)->address()), "--rate=200",
       "--step_duration=5s", "--warmup=500ms", "--scenario=get"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  LoadgenRun diff = RunLoadgen(
      {"diff", Out(""), Out("results.json"), "--fail_on_regression=1"});
  EXPECT_EQ(diff.exit_code, 0) << diff.output;
  EXPECT_NE(diff.output.find("async: no significant difference at any of 1 "
                             "steps"),
            std::string::npos)
      << diff.output;
}

TEST_F(LoadgenTest, BadInputStopsBeforeAnyLoad) {
  const std::string free_target =
      absl::StrCat("--target=nobody=127.0.0.1:", PickFreePort());
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"--target=a=127.0.0.1:1", "--users=10:5:1"}, "--users"},
           {{"--target=a=127.0.0.1:1", "--users=x"}, "--users"},
           {{"--target=a=127.0.0.1:1", "--rate=1:2"}, "--rate"},
           {{"--target=a=127.0.0.1:1", "--users=1", "--scenario=post"},
            "scenario"},
           {{"--target=nonsense", "--users=1"}, "--target"},
           {{"--users=1"}, "--target"},
           {{"--target=a=127.0.0.1:1", "--users=1", "--rate=1"}, "exactly one"},
           {{free_target, "--users=1"}, "cannot reach target nobody"},
           {{"--no_such_flag"}, "unknown flag"},
           {{free_target, "--users=1", "--slo=p99<50ms"}, "--slo"},
           {{free_target, "--users=1", "--repeat=0"}, "--repeat"},
           {{free_target, "--users=1", "--slo=p99<=5ms", "--slo_precision=60%"},
            "--slo_precision"},
           {{free_target, "--users=1", "--slo=p99<=5ms", "--shard_count=2"},
            "distributed run"},
           {{"diff", "/nonexistent/a", "/nonexistent/b"}, "no such file"},
       }) {
    LoadgenRun run = RunLoadgen(c.args);
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_NE(run.output.find(c.message), std::string::npos)
        << c.message << " not in: " << run.output;
    EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 1)
        << run.output;
    EXPECT_FALSE(std::filesystem::exists(Out("results.json")));
  }
}

}  // namespace
}  // namespace asyncgrpc::testing
