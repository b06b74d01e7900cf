// loadgen's command-line notations, each parsed into what it names: ramps
// ("10:200:10"), targets ("sync=127.0.0.1:50051"), scenarios ("seed", "get",
// "list", "mix:get=8,list=1,seed=1"), start times ("2026-11-25T14:00:00Z" or
// unix seconds) and metrics endpoints ("sync=http://10.0.0.5:9464/metrics").
// Pure logic; every error names the flag and the expected form. The checks of
// a whole command line are config.h's.
//
//   absl::StatusOr<Ramp> ramp = ParseRamp("--users", "10:100:10", true);
//   absl::StatusOr<Target> target = ParseTarget("sync=127.0.0.1:50051");
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace asyncgrpc::loadgen {

struct Ramp {
  double start = 0;
  double end = 0;
  double step = 1;

  // start, start + step, ... up to and including end.
  std::vector<double> Levels() const;
};

// START:END:STEP with 0 < START <= END and STEP > 0 (a single level:
// START:START:1 or just START). `whole` demands integers (users).
absl::StatusOr<Ramp> ParseRamp(absl::string_view flag, absl::string_view spec,
                               bool whole);

struct Target {
  std::string name;
  std::string address;  // host:port
};

// NAME=HOST:PORT, or HOST:PORT (named after it).
absl::StatusOr<Target> ParseTarget(absl::string_view spec);

// What one iteration of a virtual user (or one open-loop arrival) does.
enum class Action { kSeed, kGet, kList };

struct Scenario {
  std::string spec;
  // Cumulative weights over `actions`, for a weighted random choice per
  // iteration.
  std::vector<Action> actions;
  std::vector<double> weights;
};

// "seed" (ListItems with the default page, then GetItem of one listed item: the
// study's two queries), "get", "list", or "mix:get=W,list=W,seed=W".
absl::StatusOr<Scenario> ParseScenario(absl::string_view spec);

// When to start (--start_at): RFC 3339 ("2026-11-25T14:00:00Z", any offset,
// fractional seconds allowed) or unix seconds ("1795615200", "1795615200.5").
absl::StatusOr<absl::Time> ParseStartAt(absl::string_view spec);

// RFC 3339 in UTC with a Z ("2026-11-25T14:00:00Z", fractions when there are
// any), as results.json records --start_at.
std::string FormatRfc3339Utc(absl::Time time);

// A shard that starts more than this after --start_at would be misaligned with
// its peers.
inline constexpr absl::Duration kMostStartLateness = absl::Seconds(1);

// FAILED_PRECONDITION when `start_at` is more than kMostStartLateness before
// `now`.
absl::Status CheckStartAt(absl::Time start_at, absl::Time now);

// A Prometheus endpoint to scrape (--metrics_url NAME=http://HOST:PORT/PATH).
struct MetricsUrl {
  // The --target it reports on.
  std::string target;
  // As given, for the record.
  std::string url;
  std::string host;  // Without brackets for an IPv6 literal.
  int port = 80;
  std::string path = "/metrics";  // "/metrics" when the URL has no path.
};

// A process whose CPU use each step records (--cpu_pid NAME=PID): a target's
// server (NAME its --target name; the process and all its threads) or the
// database ("db": a PostgreSQL postmaster and every backend it forks).
struct CpuPid {
  std::string name;
  int pid = 0;
};
inline constexpr char kDbProcessName[] = "db";
inline constexpr char kLoadgenProcessName[] = "loadgen";

// NAME=PID, PID a positive number (whether it names a target or a live process
// is MakeRunConfig's to judge).
absl::StatusOr<CpuPid> ParseCpuPid(absl::string_view spec);

// NAME=http://HOST[:PORT][/PATH]: plain HTTP only (no https, no user info, no
// fragment); the port defaults to 80, the path to /metrics.
absl::StatusOr<MetricsUrl> ParseMetricsUrl(absl::string_view spec);

}  // namespace asyncgrpc::loadgen
