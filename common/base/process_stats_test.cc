#include "common/base/process_stats.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace asyncgrpc {
namespace {

// A real line (from a process named "a) b (c) d", 52 fields), with distinct
// values where the metrics read: utime 1234, stime 567, num_threads 9,
// rss 4321.
constexpr char kStatLine[] =
    "4577 (a) b (c) d) R 4571 4571 3357 0 -1 4194304 98 0 0 0 1234 567 0 0 "
    "20 0 9 0 16268 3133440 4321 18446744073709551615 94396656193536 "
    "94396656213417 140734602293008 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 "
    "94396656229424 94396656231040 94396754845696 140734602295938 "
    "140734602295958 140734602295958 140734602297323 0\n";

double ProcessCpuSeconds() {
  timespec now = {};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec / 1e9;
}

TEST(ParseProcStatTest, CountsFieldsFromTheLastParenthesis) {
  const std::optional<ProcStatFields> fields = ParseProcStat(kStatLine);
  ASSERT_TRUE(fields.has_value());
  EXPECT_EQ(fields->cpu_ticks, 1234u + 567u);
  EXPECT_EQ(fields->threads, 9);
  EXPECT_EQ(fields->resident_pages, 4321);
}

TEST(ParseProcStatTest, RejectsWhatIsNotAStatLine) {
  for (absl::string_view bad : {
           "",
           "4577 cat R 4571",
           // Cut short before rss.
           "4577 (cat) R 4571 4571 3357 0 -1 4194304 98 0 0 0 1 2 0 0 20 0 1 "
           "0 16268 3133440",
           // utime not a number.
           "4577 (cat) R 4571 4571 3357 0 -1 4194304 98 0 0 0 x 2 0 0 20 0 1 "
           "0 16268 3133440 381 0",
           // No threads.
           "4577 (cat) R 4571 4571 3357 0 -1 4194304 98 0 0 0 1 2 0 0 20 0 0 "
           "0 16268 3133440 381 0",
       }) {
    EXPECT_EQ(ParseProcStat(bad), std::nullopt) << bad;
  }
}

TEST(ReadProcessStatsTest, ReadsEveryValueOfThisProcess) {
  const ProcessStats stats = ReadProcessStats();
  ASSERT_TRUE(stats.cpu_seconds.has_value());
  EXPECT_GE(*stats.cpu_seconds, 0);
  ASSERT_TRUE(stats.resident_bytes.has_value());
  EXPECT_GT(*stats.resident_bytes, 1 << 20);
  ASSERT_TRUE(stats.open_fds.has_value());
  // stdin, stdout, stderr at least.
  EXPECT_GE(*stats.open_fds, 3);
  ASSERT_TRUE(stats.threads.has_value());
  EXPECT_GE(*stats.threads, 1);
}

TEST(ReadProcessStatsTest, CpuSecondsGrowWithCpuBurnt) {
  const std::optional<double> before = ReadProcessStats().cpu_seconds;
  ASSERT_TRUE(before.has_value());
  // Against CPU time, not wall time: on a loaded machine 200 ms of wall
  // time may be far less of CPU.
  const double start = ProcessCpuSeconds();
  volatile uint64_t sink = 0;
  while (ProcessCpuSeconds() - start < 0.2) {
    for (int i = 0; i < 10000; ++i) {
      sink = sink + i;
    }
  }
  const double burnt = ProcessCpuSeconds() - start;
  const std::optional<double> after = ReadProcessStats().cpu_seconds;
  ASSERT_TRUE(after.has_value());
  // The kernel counts in clock ticks (10 ms at USER_HZ 100): generous bounds.
  EXPECT_GE(*after - *before, 0.1);
  EXPECT_LE(*after - *before, burnt + 0.5);
}

TEST(ReadProcessStatsTest, OpenFdsCountAnOpenedFile) {
  const std::optional<int64_t> before = ReadProcessStats().open_fds;
  ASSERT_TRUE(before.has_value());
  const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const std::optional<int64_t> during = ReadProcessStats().open_fds;
  close(fd);
  const std::optional<int64_t> after = ReadProcessStats().open_fds;
  EXPECT_EQ(during, *before + 1);
  EXPECT_EQ(after, before);
}

TEST(ReadProcessStatsTest, WhatCannotBeReadIsLeftOut) {
  const ProcessStats stats = ReadProcessStats("/nonexistent/proc/self");
  EXPECT_EQ(stats.cpu_seconds, std::nullopt);
  EXPECT_EQ(stats.resident_bytes, std::nullopt);
  EXPECT_EQ(stats.open_fds, std::nullopt);
  EXPECT_EQ(stats.threads, std::nullopt);
}

}  // namespace
}  // namespace asyncgrpc
