// Distributed load, locally (issue 5's merge test): three loadgen processes
// with --shard_count 3 and a shared --start_at against one async service,
// merged with `loadgen merge`, must add up — every merged count is the sum of
// the shards' — and measure what one process running the whole load measures:
// the same planned arrivals (counts within a few %) and percentiles within the
// histogram's error plus run-to-run noise. The same merge from the shards'
// --print_results output in one log file must give the same result, and
// inputs that are not one run's shards must be refused in one line. With
// --metrics_url, each step records what the services' own Prometheus
// endpoints (--metrics_listen) counted, and a merge takes one shard's reading
// of the server, never the sum.
//
// Every call waits a fixed 20 ms upstream in the service (--upstream_delay), so
// the latencies compared are the service's, around 20-25 ms, not the
// scheduling noise of five processes (three shards, service, PostgreSQL)
// sharing this machine's cores, which would swamp sub-millisecond latencies.
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "loadgen/results.pb.h"
#include "tests/service_harness.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/subprocess.h"

namespace asyncgrpc::testing {
namespace {

namespace pb = ::loadgen::v1;

constexpr int kShards = 3;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

pb::Results ReadResults(const std::string& path) {
  pb::Results results;
  const std::string json = ReadFile(path);
  EXPECT_FALSE(json.empty()) << path;
  const auto status =
      google::protobuf::util::JsonStringToMessage(json, &results);
  EXPECT_TRUE(status.ok()) << path << ": " << status.ToString();
  return results;
}

struct Exit {
  int code = -1;
  std::string output;  // stdout and stderr
};

// Runs loadgen with `args` to completion.
Exit Loadgen(const std::vector<std::string>& args) {
  std::string command = BinaryPath("loadgen");
  for (const std::string& arg : args) {
    absl::StrAppend(&command, " '", arg, "'");
  }
  Exit exit;
  auto output = RunCommand({"/bin/sh", "-c", command + " 2>&1"},
                           absl::Seconds(120), &exit.code);
  EXPECT_TRUE(output.ok()) << output.status();
  exit.output = output.value_or("");
  return exit;
}

// Starts the shards together (each waits for `start_at`), waits for them, and
// returns each one's stdout.
std::vector<std::string> RunShards(const std::vector<std::string>& common,
                                   const std::string& out_prefix,
                                   const std::vector<std::string>& start_ats) {
  std::vector<std::unique_ptr<Subprocess>> shards;
  for (int index = 0; index < kShards; ++index) {
    std::vector<std::string> argv = {BinaryPath("loadgen")};
    argv.insert(argv.end(), common.begin(), common.end());
    argv.insert(argv.end(),
                {absl::StrCat("--shard_count=", kShards),
                 absl::StrCat("--shard_index=", index),
                 "--start_at=" + start_ats[index], "--print_results",
                 absl::StrCat("--out=", out_prefix, index)});
    auto shard = Subprocess::Start(argv);
    EXPECT_TRUE(shard.ok()) << shard.status();
    if (shard.ok()) {
      shards.push_back(*std::move(shard));
    }
  }
  std::vector<std::string> stdouts;
  for (auto& shard : shards) {
    absl::StatusOr<int> code = shard->Wait(absl::Seconds(60));
    const std::string out = shard->ConsumeCapturedStdout();
    EXPECT_TRUE(code.ok() && *code == 0)
        << code.status() << " " << code.value_or(-1) << "\n"
        << out;
    stdouts.push_back(out);
  }
  return stdouts;
}

// Percentile agreement between the merged run and the single run: both are
// read from histograms whose buckets are at most 0.8% wide (reported values
// within 0.4% of a recorded one, so two of them within 0.8%: rounded up to
// 1%), plus an allowance for two different runs seconds apart on one shared
// 2-core machine: timer slack and scheduling (the p50 gap seen is in
// docs/performance.md, "Figures behind choices in the code"). Only the median
// is compared this way; see the caller.
void ExpectClose(absl::string_view what, double merged, double single,
                 double noise_ms, double noise_share) {
  const double allowed = 0.01 * std::max(merged, single) + noise_ms +
                         noise_share * std::max(merged, single);
  EXPECT_LE(std::abs(merged - single), allowed)
      << what << ": merged " << merged << " ms, single run " << single
      << " ms (allowed difference " << allowed << " ms)";
}

class LoadgenMergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("asyncgrpc-loadgen-merge-");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_.emplace(*std::move(dir));
  }

  // `kind` with a fixed 20 ms upstream delay per call; `metrics` set: also
  // serving Prometheus metrics, whose address it receives.
  std::unique_ptr<RunningService> StartService(const ServiceKind& kind,
                                               std::string* metrics = nullptr) {
    std::vector<std::string> flags = {"--upstream_delay=20ms"};
    if (metrics != nullptr) {
      flags.push_back("--metrics_listen=127.0.0.1:0");
    }
    auto service = RunningService::Start(kind, SharedDatabaseUri(), flags);
    EXPECT_TRUE(service.ok()) << service.status();
    if (!service.ok()) {
      return nullptr;
    }
    if (metrics != nullptr) {
      absl::StatusOr<std::string> address =
          (*service)->process().ReadLineMatching("metrics on ",
                                                 absl::Seconds(10));
      EXPECT_TRUE(address.ok()) << address.status();
      *metrics = address.value_or("");
    }
    return *std::move(service);
  }

  std::string Path(const std::string& name) const {
    return dir_->path() + "/" + name;
  }

  // A start time `seconds` ahead, on a whole second (so it can also be given
  // as unix seconds).
  static absl::Time StartIn(int seconds) {
    return absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) + seconds +
                                 1);
  }

  std::optional<TempDir> dir_;
};

TEST_F(LoadgenMergeTest, OpenLoopShardsMergeIntoTheSingleRunsLoad) {
  const std::unique_ptr<RunningService> service = StartService(AsyncService());
  ASSERT_NE(service, nullptr);
  const std::vector<std::string> common = {
      absl::StrCat("--target=async=", service->address()), "--rate=300:600:300",
      "--step_duration=3s", "--warmup=1s", "--scenario=get"};
  const absl::Time start = StartIn(2);
  const std::string rfc3339 =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", start, absl::UTCTimeZone());
  const std::string unix_seconds = absl::StrCat(absl::ToUnixSeconds(start));
  // One channel per shard: the three together open as many connections as
  // the single run's three.
  std::vector<std::string> shard_args = common;
  shard_args.push_back("--channels=1");
  const std::vector<std::string> stdouts = RunShards(
      shard_args, Path("shard-"), {rfc3339, unix_seconds, unix_seconds});
  ASSERT_EQ(stdouts.size(), static_cast<size_t>(kShards));

  std::vector<std::string> single_args = common;
  single_args.insert(single_args.end(),
                     {"--channels=3", "--out=" + Path("single")});
  const Exit single_run = Loadgen(single_args);
  ASSERT_EQ(single_run.code, 0) << single_run.output;

  const Exit merge = Loadgen({"merge", "--out", Path("merged"), Path("shard-0"),
                              Path("shard-1/results.json"), Path("shard-2")});
  ASSERT_EQ(merge.code, 0) << merge.output;
  EXPECT_TRUE(absl::StrContains(merge.output, "report: " + Path("merged")))
      << merge.output;

  std::vector<pb::Results> shards;
  for (int index = 0; index < kShards; ++index) {
    shards.push_back(
        ReadResults(Path(absl::StrCat("shard-", index)) + "/results.json"));
    const pb::Config& c = shards.back().config();
    EXPECT_EQ(c.shard_index(), index);
    EXPECT_EQ(c.shard_count(), kShards);
    EXPECT_EQ(c.start_at(), rfc3339);
    EXPECT_FALSE(c.merged());
  }
  const pb::Results single = ReadResults(Path("single/results.json"));
  const pb::Results merged = ReadResults(Path("merged/results.json"));
  for (const char* file : {"report.html", "steps.csv", "timeline.csv"}) {
    EXPECT_TRUE(std::filesystem::exists(Path("merged/") + file)) << file;
  }
  EXPECT_TRUE(merged.config().merged());
  EXPECT_EQ(merged.config().shard_count(), kShards);
  EXPECT_EQ(merged.config().start_at(), rfc3339);
  EXPECT_EQ(merged.shards_size(), kShards);
  EXPECT_EQ(single.config().shard_count(), 1);

  ASSERT_EQ(merged.targets_size(), 1);
  ASSERT_EQ(single.targets_size(), 1);
  const pb::TargetResult& m = merged.targets(0);
  const pb::TargetResult& s = single.targets(0);
  EXPECT_TRUE(m.note().empty()) << m.note();
  ASSERT_EQ(m.steps_size(), 2);
  ASSERT_EQ(s.steps_size(), 2);
  for (int k = 0; k < 2; ++k) {
    SCOPED_TRACE(absl::StrCat("step ", k));
    const pb::Step& ms = m.steps(k);
    const pb::Step& ss = s.steps(k);
    const double rate = k == 0 ? 300 : 600;
    EXPECT_EQ(ms.rate(), rate);
    EXPECT_EQ(ss.rate(), rate);

    // The merged step is the shards' sum.
    int64_t requests = 0;
    int64_t ok = 0;
    std::map<int, int64_t> buckets;
    double p50_low = 1e9, p50_high = 0, p99_low = 1e9, p99_high = 0;
    for (const pb::Results& shard : shards) {
      ASSERT_EQ(shard.targets(0).steps_size(), 2);
      const pb::Step& part = shard.targets(0).steps(k);
      EXPECT_NEAR(part.rate(), rate / kShards, 1e-9);
      EXPECT_TRUE(part.valid()) << part.invalid_reason();
      requests += part.requests();
      ok += part.ok();
      for (int i = 0; i < part.histogram().bucket_size(); ++i) {
        buckets[part.histogram().bucket(i)] += part.histogram().count(i);
      }
      p50_low = std::min(p50_low, part.p50_ms());
      p50_high = std::max(p50_high, part.p50_ms());
      p99_low = std::min(p99_low, part.p99_ms());
      p99_high = std::max(p99_high, part.p99_ms());
    }
    EXPECT_EQ(ms.requests(), requests);
    EXPECT_EQ(ms.ok(), ok);
    EXPECT_EQ(ms.histogram().total(), requests);
    std::map<int, int64_t> merged_buckets;
    for (int i = 0; i < ms.histogram().bucket_size(); ++i) {
      merged_buckets[ms.histogram().bucket(i)] = ms.histogram().count(i);
    }
    EXPECT_EQ(merged_buckets, buckets);
    // A percentile of merged data lies between the parts' (up to a bucket).
    EXPECT_GE(ms.p50_ms(), p50_low * 0.99);
    EXPECT_LE(ms.p50_ms(), p50_high * 1.01);
    EXPECT_GE(ms.p99_ms(), p99_low * 0.99);
    EXPECT_LE(ms.p99_ms(), p99_high * 1.01);
    EXPECT_TRUE(ms.valid()) << ms.invalid_reason();

    // The same planned arrivals as the single run: rate x the measured window.
    // A step counts the calls that complete in its window, so calls whose
    // latency straddles one of its edges may fall either side: up to the rate
    // times the tail latency (under TSan a stall put calls outside; see
    // docs/performance.md, "Figures behind choices in the code").
    const double planned = rate * ss.duration_s();
    const double edges = rate * std::max(ms.p99_ms(), ss.p99_ms()) / 1000.0;
    EXPECT_NEAR(static_cast<double>(ms.requests()), planned,
                0.03 * planned + edges);
    EXPECT_NEAR(static_cast<double>(ms.requests()),
                static_cast<double>(ss.requests()),
                0.03 * ss.requests() + edges);
    EXPECT_NEAR(ms.rps(), ss.rps(), 0.03 * ss.rps() + edges / ss.duration_s());
    // Within the bound loadgen itself holds a step to (it calls a step that
    // sent under 95% of its plan invalid): under TSan the first step's sends
    // fell further behind than a tighter bound allowed while the step stayed
    // valid (docs/performance.md, "Figures behind choices in the code").
    EXPECT_NEAR(ms.achieved_rate(), rate, 0.05 * rate);
    EXPECT_EQ(ms.ok(), ms.requests());

    // Only the median is compared with the separate single run: the tails of
    // two runs on a shared 2-core machine are its scheduling, not the merge
    // (seen either way round from one step to the next: docs/performance.md,
    // "Figures behind choices in the code"). The merged tails are checked
    // exactly above: bucket-wise sums, and each percentile between the shards'
    // own.
    // A step whose own p95 is over 1.5x its p50 was stalled (the machine, not
    // the merge: docs/performance.md, "Figures behind choices in the code"), so
    // its median says nothing about the other run's; the skip is printed.
    const bool steady =
        ms.p95_ms() <= 1.5 * ms.p50_ms() && ss.p95_ms() <= 1.5 * ss.p50_ms();
    if (steady) {
      ExpectClose("p50", ms.p50_ms(), ss.p50_ms(), 1.5, 0.05);
    } else {
      std::cout << "step " << k << ": a stalled step (p95 over 1.5x p50), "
                << "medians of the two runs not compared\n";
    }
    // The upstream delay is there in both.
    EXPECT_GE(ms.p50_ms(), 20);
    EXPECT_GE(ss.p50_ms(), 20);
    std::cout << "step " << k << " (" << rate << " calls/s): merged "
              << ms.requests()
              << " requests = " << shards[0].targets(0).steps(k).requests()
              << " + " << shards[1].targets(0).steps(k).requests() << " + "
              << shards[2].targets(0).steps(k).requests() << ", single run "
              << ss.requests() << "; p50/p95/p99 merged " << ms.p50_ms() << "/"
              << ms.p95_ms() << "/" << ms.p99_ms() << " ms, single "
              << ss.p50_ms() << "/" << ss.p95_ms() << "/" << ss.p99_ms()
              << " ms" << std::endl;
  }
  // The timeline: every shard's calls, second by second.
  double timeline = 0;
  double shard_timeline = 0;
  for (const pb::TimelinePoint& p : m.timeline()) {
    timeline += p.rps();
    EXPECT_FALSE(p.has_histogram());
    if (p.rps() > 0) {
      EXPECT_GT(p.p50_ms(), 0) << "second " << p.t_s();
    }
  }
  for (const pb::Results& shard : shards) {
    for (const pb::TimelinePoint& p : shard.targets(0).timeline()) {
      shard_timeline += p.rps();
      EXPECT_EQ(p.histogram().total(), static_cast<int64_t>(p.rps()));
    }
  }
  EXPECT_EQ(timeline, shard_timeline);

  // The same merge from the shards' --print_results output, collected into
  // one log as `kubectl logs --prefix` would (with other lines around).
  std::string log = "loadgen pods of job bench\n";
  for (int index = 0; index < kShards; ++index) {
    for (absl::string_view line : absl::StrSplit(stdouts[index], '\n')) {
      absl::StrAppend(&log, "[pod/loadgen-", index, "/loadgen] ", line, "\n");
    }
  }
  std::ofstream(Path("pods.log")) << log;
  const Exit from_log =
      Loadgen({"merge", "--out=" + Path("merged-log"), Path("pods.log")});
  ASSERT_EQ(from_log.code, 0) << from_log.output;
  const pb::Results merged_log = ReadResults(Path("merged-log/results.json"));
  ASSERT_EQ(merged_log.targets_size(), 1);
  ASSERT_EQ(merged_log.targets(0).steps_size(), 2);
  for (int k = 0; k < 2; ++k) {
    const pb::Step& a = merged_log.targets(0).steps(k);
    const pb::Step& b = m.steps(k);
    EXPECT_EQ(a.requests(), b.requests());
    EXPECT_EQ(a.p50_ms(), b.p50_ms());
    EXPECT_EQ(a.p99_ms(), b.p99_ms());
    EXPECT_EQ(a.histogram().SerializeAsString(),
              b.histogram().SerializeAsString());
  }
  EXPECT_EQ(merged_log.targets(0).summary().SerializeAsString(),
            m.summary().SerializeAsString());
  EXPECT_TRUE(std::filesystem::exists(Path("merged-log/report.html")));

  // Inputs that are not all of one run's shards: one line, exit 2.
  for (const auto& [inputs, expected] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{Path("shard-0"), Path("shard-1")}, "2 inputs were given"},
           {{Path("shard-0"), Path("shard-1"), Path("single")},
            "is shard 0 of 1 (shard_count 1) but 3 inputs were given"},
           {{Path("shard-0"), Path("shard-1"), Path("shard-1")},
            "are both shard_index 1 of 3"},
           {{Path("merged"), Path("shard-1"), Path("shard-2")},
            "is already a merged run"},
           {{Path("shard-0"), Path("nothing-here")}, "no such file"},
       }) {
    std::vector<std::string> args = {"merge", "--out=" + Path("refused")};
    args.insert(args.end(), inputs.begin(), inputs.end());
    const Exit refused = Loadgen(args);
    EXPECT_EQ(refused.code, 2) << refused.output;
    EXPECT_TRUE(absl::StrContains(refused.output, expected)) << refused.output;
    EXPECT_EQ(std::count(refused.output.begin(), refused.output.end(), '\n'), 1)
        << refused.output;
  }
  EXPECT_FALSE(std::filesystem::exists(Path("refused/results.json")));
}

TEST_F(LoadgenMergeTest, ClosedLoopShardsSplitTheUsers) {
  const std::unique_ptr<RunningService> service = StartService(AsyncService());
  ASSERT_NE(service, nullptr);
  const std::string start = absl::StrCat(absl::ToUnixSeconds(StartIn(2)));
  // Steps of 3 s: each step keeps its planned slot, so a shard that comes to a
  // step late measures less of it. With 1.5 s steps, under TSan on 2 cores,
  // all three shards once measured no call in either step: they came to each
  // step after its slot had passed (no progress line was printed).
  RunShards({absl::StrCat("--target=async=", service->address()),
             "--users=5:7:2", "--step_duration=3s", "--warmup=500ms",
             "--think_time=50ms", "--scenario=get", "--channels=1"},
            Path("users-"), {start, start, start});
  const Exit merge =
      Loadgen({"merge", "--out=" + Path("users-merged"), Path("users-0"),
               Path("users-1"), Path("users-2")});
  ASSERT_EQ(merge.code, 0) << merge.output;
  const pb::Results merged = ReadResults(Path("users-merged/results.json"));
  ASSERT_EQ(merged.targets_size(), 1);
  ASSERT_EQ(merged.targets(0).steps_size(), 2);
  // 5 users as 2 + 2 + 1, 7 as 3 + 2 + 2.
  const int expected[2][kShards] = {{2, 2, 1}, {3, 2, 2}};
  for (int k = 0; k < 2; ++k) {
    int64_t requests = 0;
    for (int index = 0; index < kShards; ++index) {
      const pb::Results shard =
          ReadResults(Path(absl::StrCat("users-", index, "/results.json")));
      ASSERT_EQ(shard.targets(0).steps_size(), 2);
      EXPECT_EQ(shard.targets(0).steps(k).users(), expected[k][index])
          << "shard " << index << " step " << k;
      requests += shard.targets(0).steps(k).requests();
    }
    const pb::Step& step = merged.targets(0).steps(k);
    EXPECT_EQ(step.users(), k == 0 ? 5 : 7);
    EXPECT_EQ(step.requests(), requests);
    // Each user calls about every 70 ms (20 ms upstream + 50 ms think time).
    EXPECT_GT(step.requests(), step.users() * 5);
  }
}

TEST_F(LoadgenMergeTest, ServerMetricsAreRecordedPerStepAndMergedFromOneShard) {
  std::string sync_metrics;
  std::string async_metrics;
  const std::unique_ptr<RunningService> sync =
      StartService(SyncService(), &sync_metrics);
  const std::unique_ptr<RunningService> async =
      StartService(AsyncService(), &async_metrics);
  ASSERT_TRUE(sync != nullptr && async != nullptr);
  const std::string start = absl::StrCat(absl::ToUnixSeconds(StartIn(2)));
  // Every shard scrapes both services.
  RunShards(
      {absl::StrCat("--target=sync=", sync->address()),
       absl::StrCat("--target=async=", async->address()),
       absl::StrCat("--metrics_url=sync=http://", sync_metrics, "/metrics"),
       absl::StrCat("--metrics_url=async=http://", async_metrics, "/metrics"),
       "--rate=240", "--step_duration=3s", "--warmup=1s", "--scenario=get",
       "--channels=1"},
      Path("metrics-"), {start, start, start});
  const Exit merge =
      Loadgen({"merge", "--out=" + Path("metrics-merged"), Path("metrics-0"),
               Path("metrics-1"), Path("metrics-2")});
  ASSERT_EQ(merge.code, 0) << merge.output;
  const pb::Results merged = ReadResults(Path("metrics-merged/results.json"));
  const pb::Results shard0 = ReadResults(Path("metrics-0/results.json"));
  ASSERT_EQ(merged.config().metrics_urls_size(), 2);
  // One row per target and step, besides results.json.
  const std::vector<std::string> csv =
      absl::StrSplit(ReadFile(Path("metrics-merged/server_metrics.csv")), '\n',
                     absl::SkipEmpty());
  EXPECT_EQ(csv.size(), 1u + 2);
  ASSERT_EQ(merged.targets_size(), 2);
  ASSERT_EQ(shard0.targets_size(), 2);
  for (int t = 0; t < 2; ++t) {
    const pb::TargetResult& target = merged.targets(t);
    SCOPED_TRACE(target.name());
    ASSERT_EQ(target.steps_size(), 1);
    const pb::Step& step = target.steps(0);
    ASSERT_EQ(step.server_metrics_size(), 1);
    const pb::ServerMetrics& m = step.server_metrics(0);
    EXPECT_EQ(m.error(), "");
    EXPECT_EQ(m.service(), target.name());
    EXPECT_TRUE(
        absl::StrContains(m.url(), t == 0 ? sync_metrics : async_metrics));
    // The server counted the calls of the window: all shards' together, so
    // about the merged step's requests (the scrapes bracket the measured
    // window to within the scrape's own few milliseconds).
    const double calls =
        m.rpcs_by_code().count("OK") ? m.rpcs_by_code().at("OK") : 0.0;
    EXPECT_NEAR(calls, static_cast<double>(step.requests()),
                0.1 * step.requests() + 10);
    EXPECT_NEAR(m.rps(), step.rps(), 0.1 * step.rps() + 5);
    EXPECT_NEAR(m.window_s(), step.duration_s(), 0.2);
    EXPECT_EQ(m.rpcs_by_method_code().at("GetItem OK"), calls);
    // One shard alone sent a third of those calls, but read the same server.
    const pb::Step& own = shard0.targets(t).steps(0);
    EXPECT_NEAR(static_cast<double>(own.requests()), step.requests() / 3.0,
                0.1 * step.requests());
    ASSERT_EQ(own.server_metrics_size(), 1);
    EXPECT_NEAR(own.server_metrics(0).rps(), m.rps(), 0.1 * m.rps() + 5);
    // Server-side latency from its buckets: every call waits 20 ms upstream,
    // which falls in the (10 ms, 25 ms] bucket of the services' histogram.
    // The calls counter and the buckets are separate atomics that a scrape
    // reads a moment apart, so a call finishing during either scrape can be
    // in one and not yet in the other (CI under TSan saw them differ; see
    // docs/performance.md, "Figures behind choices in the code").
    EXPECT_NEAR(m.latency().count(), calls, 0.01 * calls + 4);
    EXPECT_GE(m.latency().p50_ms(), 10);
    EXPECT_LE(m.latency().p50_ms(), 25);
    EXPECT_GE(m.latency().mean_ms(), 20);
    EXPECT_LE(m.latency().p50_ms(), step.p50_ms());
    EXPECT_TRUE(m.latency_by_method().count("GetItem"));
    EXPECT_GT(m.gauges().at("asyncgrpc_threads"), 0);
    EXPECT_EQ(m.gauges().count("asyncgrpc_db_connections{state=\"idle\"}"), 1u);
    EXPECT_EQ(m.gauges().count("asyncgrpc_db_waiting"), 1u);
    EXPECT_EQ(m.gauges().count("asyncgrpc_db_in_flight"), 1u);
    std::cout << target.name() << ": client " << step.requests()
              << " requests, p50 " << step.p50_ms() << " ms; server counted "
              << calls << " OK, p50 " << m.latency().p50_ms() << " ms, p99 "
              << m.latency().p99_ms() << " ms (bucket-interpolated), threads "
              << m.gauges().at("asyncgrpc_threads") << std::endl;
  }
}

}  // namespace
}  // namespace asyncgrpc::testing
