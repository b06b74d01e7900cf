#include "loadgen/process_cpu/proc_stat.h"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "loadgen/process_cpu/test_processes.h"

namespace asyncgrpc::loadgen {
namespace {

TEST(ParseProcessStatTest, SplitsAfterTheLastParenthesis) {
  // Fields 3..22 after the command name; utime 250, stime 50, cutime 30,
  // cstime 20 ticks, starttime 123456.
  const std::string line =
      "4242 (post ) (master)) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 "
      "30 20 20 0 1 0 123456 1000 100 18446744073709551615\n";
  absl::StatusOr<ProcessStat> stat = ParseProcessStat(line, 100);
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->pid, 4242);
  EXPECT_EQ(stat->comm, "post ) (master)");
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->ppid, 17);
  EXPECT_DOUBLE_EQ(stat->utime_s, 2.5);
  EXPECT_DOUBLE_EQ(stat->stime_s, 0.5);
  EXPECT_DOUBLE_EQ(stat->cutime_s, 0.3);
  EXPECT_DOUBLE_EQ(stat->cstime_s, 0.2);
  EXPECT_EQ(stat->start_ticks, 123456u);
}

TEST(ParseProcessStatTest, RejectsWhatIsNotAStatLine) {
  for (const char* line :
       {"", "4242 no parentheses", "4242 (x) S 1 2 3", "x (y) S 1",
        "4242 (x) S one 4242 4242 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 1 1"}) {
    EXPECT_EQ(ParseProcessStat(line, 100).status().code(),
              absl::StatusCode::kInvalidArgument)
        << line;
  }
}

TEST(ReadProcessStatTest, ReadsItsOwnProcess) {
  absl::StatusOr<ProcessStat> stat = ReadProcessStat(getpid());
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->pid, getpid());
  EXPECT_EQ(stat->ppid, getppid());
  EXPECT_FALSE(stat->comm.empty());
  EXPECT_GT(stat->start_ticks, 0u);
}

TEST(ReadContextSwitchesTest, SumsEveryLiveThread) {
  absl::StatusOr<int64_t> before = ReadContextSwitches(getpid());
  ASSERT_TRUE(before.ok()) << before.status();
  // Each sleep gives up the CPU: a voluntary switch of that thread.
  std::mutex mutex;
  std::condition_variable cv;
  bool slept = false;
  bool finish = false;
  std::thread sleeper([&] {
    for (int i = 0; i < 20; ++i) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    std::unique_lock lock(mutex);
    slept = true;
    cv.notify_all();
    cv.wait(lock, [&] { return finish; });
  });
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return slept; });
  }
  absl::StatusOr<int64_t> after = ReadContextSwitches(getpid());
  {
    std::lock_guard lock(mutex);
    finish = true;
    cv.notify_all();
  }
  sleeper.join();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_GE(*after - *before, 20);
}

TEST(ReadChildrenTest, ListsLiveChildren) {
  ForkedProcess first([](ForkedProcess&) { WaitToBeKilled(); });
  ForkedProcess second([](ForkedProcess&) { WaitToBeKilled(); });
  ASSERT_GT(first.pid(), 0);
  ASSERT_GT(second.pid(), 0);
  std::vector<int> pids;
  for (const ProcessStat& child : ReadChildren(getpid())) {
    EXPECT_EQ(child.ppid, getpid());
    pids.push_back(child.pid);
  }
  EXPECT_NE(std::find(pids.begin(), pids.end(), first.pid()), pids.end());
  EXPECT_NE(std::find(pids.begin(), pids.end(), second.pid()), pids.end());
}

TEST(ProcStatTest, NamesAPidThatDoesNotExist) {
  const int pid = DeadPid();
  const std::string named = absl::StrCat("process ", pid, " does not exist");
  absl::StatusOr<ProcessStat> stat = ReadProcessStat(pid);
  EXPECT_EQ(stat.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(stat.status().message(), named))
      << stat.status();
  absl::StatusOr<int64_t> switches = ReadContextSwitches(pid);
  EXPECT_EQ(switches.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(switches.status().message(), named))
      << switches.status();
}

}  // namespace
}  // namespace asyncgrpc::loadgen
