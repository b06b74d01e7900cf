#include "loadgen/core/config.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'795'615'200);

RunFlags Valid() {
  return {.targets = {"sync=127.0.0.1:50051", "async=127.0.0.1:50052"},
          .users = "10:30:10",
          .command = "loadgen --users 10:30:10"};
}

// The one-line error MakeRunConfig gives for `flags`, or "" when it accepts
// them.
std::string ErrorOf(const RunFlags& flags) {
  absl::StatusOr<RunConfig> config = MakeRunConfig(flags, kNow);
  if (config.ok()) {
    return "";
  }
  EXPECT_TRUE(absl::IsInvalidArgument(config.status())) << config.status();
  return std::string(config.status().message());
}

TEST(MakeRunConfigTest, AValidCommandLineBecomesTheConfig) {
  RunFlags flags = Valid();
  flags.metrics_urls = {"sync=http://127.0.0.1:9464/metrics"};
  flags.start_at = "2026-11-25T14:00:00Z";
  absl::StatusOr<RunConfig> config = MakeRunConfig(flags, kNow);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->targets.size(), 2u);
  EXPECT_EQ(config->targets[1].name, "async");
  EXPECT_EQ(config->mode, Mode::kClosed);
  EXPECT_EQ(config->ramp.Levels(), (std::vector<double>{10, 20, 30}));
  EXPECT_EQ(config->scenario.spec, "seed");
  EXPECT_EQ(config->out_dir, "results/loadgen-20261125T140000Z");
  EXPECT_EQ(config->start_at, kNow);
  ASSERT_EQ(config->metrics_urls.size(), 1u);
  EXPECT_EQ(config->metrics_urls[0].port, 9464);
  EXPECT_EQ(config->command, "loadgen --users 10:30:10");
  EXPECT_TRUE(config->tls_root_certs_pem.empty());
}

TEST(MakeRunConfigTest, ARateMeansOpenLoop) {
  RunFlags flags = Valid();
  flags.users.clear();
  flags.rate = "100:200:50";
  absl::StatusOr<RunConfig> config = MakeRunConfig(flags, kNow);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->mode, Mode::kOpen);
  EXPECT_EQ(config->ramp.Levels(), (std::vector<double>{100, 150, 200}));
}

TEST(MakeRunConfigTest, TargetsAreNeededAndNamedOnce) {
  RunFlags flags = Valid();
  flags.targets.clear();
  EXPECT_EQ(ErrorOf(flags), "give at least one --target NAME=HOST:PORT");
  flags.targets = {"a=127.0.0.1:1", "a=127.0.0.1:2"};
  EXPECT_EQ(ErrorOf(flags), "--target: the name \"a\" is given twice");
  flags.targets = {"a=nowhere"};
  EXPECT_TRUE(absl::StrContains(ErrorOf(flags), "--target must be"));
}

TEST(MakeRunConfigTest, ExactlyOneOfUsersAndRateWithinBounds) {
  RunFlags flags = Valid();
  flags.rate = "10";
  EXPECT_TRUE(absl::StartsWith(ErrorOf(flags), "give exactly one of --users"));
  flags.users.clear();
  flags.rate.clear();
  EXPECT_TRUE(absl::StartsWith(ErrorOf(flags), "give exactly one of --users"));
  flags.users = "10:200000:10";
  EXPECT_EQ(ErrorOf(flags),
            "--users values must be at most 100000, got \"10:200000:10\"");
  flags.users.clear();
  flags.rate = "1:2000000:1";
  EXPECT_TRUE(absl::StartsWith(ErrorOf(flags), "--rate values must be at"));
  flags.rate = "5:1:1";
  EXPECT_TRUE(absl::StrContains(ErrorOf(flags), "END must not be below"));
  flags.rate = "1";
  flags.scenario = "delete";
  EXPECT_TRUE(absl::StartsWith(ErrorOf(flags), "unknown --scenario"));
}

TEST(MakeRunConfigTest, DurationsAndRatesMustBeSensible) {
  const std::vector<std::pair<void (*)(RunFlags&), std::string>> cases = {
      {[](RunFlags& f) { f.step_duration = absl::ZeroDuration(); },
       "--step_duration must be above 0"},
      {[](RunFlags& f) { f.step_duration = absl::Hours(25); },
       "--step_duration must be above 0 and at most 24h"},
      {[](RunFlags& f) { f.warmup = absl::Seconds(10); },
       "--step_duration must be positive and --warmup between 0"},
      {[](RunFlags& f) { f.spawn_rate = 0; }, "--spawn_rate must be positive"},
      {[](RunFlags& f) { f.think_time = -absl::Seconds(1); },
       "--think_time must be between 0"},
      {[](RunFlags& f) { f.deadline = absl::ZeroDuration(); },
       "--deadline must be above 0"},
      {[](RunFlags& f) { f.channels = 0; }, "--channels must be between 1"},
      {[](RunFlags& f) { f.max_in_flight = 0; },
       "--max_in_flight must be positive"},
      {[](RunFlags& f) { f.item_ids = 0; }, "--item_ids must be positive"},
      {[](RunFlags& f) { f.slowdown_factor = 1; },
       "--slowdown_factor must be above 1"},
      {[](RunFlags& f) { f.error_threshold = 1; },
       "--slowdown_factor must be above 1 and --error_threshold in [0, 1)"},
      {[](RunFlags& f) { f.slowdown_floor = -absl::Milliseconds(1); },
       "--slowdown_floor must be between 0 and 24h, got -1ms"},
      {[](RunFlags& f) { f.stop_on_errors = -2; },
       "--stop_on_errors must be -1 (never)"},
  };
  for (const auto& [change, error] : cases) {
    RunFlags flags = Valid();
    change(flags);
    EXPECT_TRUE(absl::StartsWith(ErrorOf(flags), error))
        << ErrorOf(flags) << " should start with " << error;
  }
}

TEST(MakeRunConfigTest, TlsServerNameNeedsTheCa) {
  RunFlags flags = Valid();
  flags.tls_server_name = "items.example";
  EXPECT_EQ(ErrorOf(flags), "--tls_server_name needs --tls_ca");
  flags.tls_ca_given = true;
  EXPECT_EQ(ErrorOf(flags), "");
}

TEST(MakeRunConfigTest, ShardsAndStartTime) {
  RunFlags flags = Valid();
  flags.shard_count = 0;
  EXPECT_EQ(ErrorOf(flags), "--shard_count must be between 1 and 10000, got 0");
  flags.shard_count = 3;
  flags.shard_index = 3;
  EXPECT_EQ(ErrorOf(flags),
            "--shard_index must be between 0 and --shard_count - 1 (2), got 3");
  flags.shard_index = 2;
  EXPECT_EQ(ErrorOf(flags), "");
  flags.start_at = "yesterday";
  EXPECT_TRUE(absl::StartsWith(ErrorOf(flags), "--start_at must be"));
  flags.start_at = "2026-11-25T13:59:58Z";
  EXPECT_TRUE(absl::StrContains(ErrorOf(flags), "in the past"));
  flags.start_at = "2026-11-25T13:59:59.5Z";
  EXPECT_EQ(ErrorOf(flags), "");
}

TEST(MakeRunConfigTest, MetricsUrlsNameATarget) {
  RunFlags flags = Valid();
  flags.metrics_urls = {"other=http://127.0.0.1:9464/metrics"};
  EXPECT_EQ(ErrorOf(flags),
            "--metrics_url: no --target is named \"other\" (in "
            "\"other=http://127.0.0.1:9464/metrics\")");
  flags.metrics_urls = {"sync=https://127.0.0.1:9464/metrics"};
  EXPECT_TRUE(absl::StrContains(ErrorOf(flags), "https is not supported"));
}

TEST(MakeRunConfigTest, CpuPidsNameATargetOrTheDatabaseAndALiveProcess) {
  RunFlags flags = Valid();
  const std::string me = std::to_string(getpid());
  flags.cpu_pids = {"sync=" + me, "db=" + me};
  absl::StatusOr<RunConfig> config = MakeRunConfig(flags, kNow);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->cpu_pids.size(), 2u);
  EXPECT_EQ(config->cpu_pids[1].name, "db");
  EXPECT_EQ(config->cpu_pids[1].pid, getpid());

  flags.cpu_pids = {"postgres=" + me};
  EXPECT_EQ(ErrorOf(flags),
            "--cpu_pid: \"postgres\" is neither a --target's name nor \"db\"");
  flags.cpu_pids = {"db=" + me, "db=1"};
  EXPECT_EQ(ErrorOf(flags), "--cpu_pid: \"db\" given twice");
  flags.cpu_pids = {"db=0"};
  EXPECT_TRUE(absl::StartsWith(ErrorOf(flags), "--cpu_pid must be NAME=PID"));
  flags.cpu_pids = {"db"};
  EXPECT_TRUE(absl::StartsWith(ErrorOf(flags), "--cpu_pid must be NAME=PID"));
  // Above the kernel's pid_max (2^22): never a live process.
  flags.cpu_pids = {"db=99999999"};
  EXPECT_EQ(ErrorOf(flags),
            "--cpu_pid db=99999999: no process 99999999 on this machine");
  flags.cpu_pids = {"db=" + me};
  flags.targets = {"db=127.0.0.1:1"};
  EXPECT_EQ(ErrorOf(flags),
            "--cpu_pid: a --target named \"db\" would be mistaken for that "
            "process");
}

TEST(MakeRunConfigTest, RulesFollowTheLoadShape) {
  RunFlags flags = Valid();
  flags.slowdown_floor = absl::Milliseconds(25);
  flags.think_time = absl::Milliseconds(500);
  absl::StatusOr<RunConfig> config = MakeRunConfig(flags, kNow);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->rules.slowdown_floor_ms, 25);
  EXPECT_TRUE(config->rules.closed_loop);
  EXPECT_EQ(config->rules.think_time_s, 0.5);
}

TEST(MakeRunConfigTest, SloPrecisionAndRepeats) {
  RunFlags flags = Valid();
  flags.slo = "p99<=20ms,errors<=0.1%";
  flags.slo_precision = "10%";
  flags.repeat = 3;
  absl::StatusOr<RunConfig> config = MakeRunConfig(flags, kNow);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->slo.has_value());
  EXPECT_EQ(config->slo->spec, "p99<=20ms,errors<=0.1%");
  EXPECT_DOUBLE_EQ(config->slo_precision, 0.1);
  EXPECT_EQ(config->repeat, 3);
  EXPECT_FALSE(MakeRunConfig(Valid(), kNow)->slo.has_value());

  auto error_with = [](auto change) {
    RunFlags flags = Valid();
    change(flags);
    return ErrorOf(flags);
  };
  EXPECT_TRUE(absl::StrContains(
      error_with([](RunFlags& f) { f.slo = "p99<20ms"; }), "--slo"));
  EXPECT_TRUE(absl::StrContains(error_with([](RunFlags& f) { f.repeat = 0; }),
                                "--repeat"));
  EXPECT_TRUE(absl::StrContains(
      error_with([](RunFlags& f) { f.slo_precision = "60%"; }),
      "--slo_precision"));
  EXPECT_TRUE(
      absl::StrContains(error_with([](RunFlags& f) { f.slo_precision = "0"; }),
                        "--slo_precision"));
  const std::string sharded = error_with([](RunFlags& f) {
    f.slo = "p99<=20ms";
    f.shard_count = 2;
  });
  EXPECT_TRUE(absl::StrContains(sharded, "distributed")) << sharded;
  EXPECT_TRUE(absl::StrContains(error_with([](RunFlags& f) {
                                  f.repeat = 2;
                                  f.start_at = "2026-11-25T14:00:00Z";
                                }),
                                "--start_at"));
}

TEST(MakeRunConfigTest, ADescriptionIsOneLineOfText) {
  RunFlags flags = Valid();
  flags.description = "preset pooled: pools of 16 \u00b5s";
  absl::StatusOr<RunConfig> config = MakeRunConfig(flags, kNow);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->description, flags.description);
  flags.description = "two\nlines";
  EXPECT_TRUE(absl::StrContains(ErrorOf(flags), "--description"));
  flags.description = std::string(2001, 'x');
  EXPECT_TRUE(absl::StrContains(ErrorOf(flags), "at most 2000"));
}

}  // namespace
}  // namespace asyncgrpc::loadgen
