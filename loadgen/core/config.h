// loadgen's run configuration and the parsing of its command-line notations:
// ramps ("10:200:10"), targets ("sync=127.0.0.1:50051"), scenarios ("seed",
// "get", "list", "mix:get=8,list=1,seed=1"), start times
// ("2026-11-25T14:00:00Z" or unix seconds) and metrics endpoints
// ("sync=http://10.0.0.5:9464/metrics"), plus how a distributed run splits
// each step's load over its shards. Pure logic; every error names the flag and
// the expected form.
//
//   absl::StatusOr<Ramp> ramp = ParseRamp("--users", "10:100:10");
//   int mine = ShardUsers(10, /*shard_index=*/0, /*shard_count=*/3);  // 4
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "loadgen/core/detection.h"

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

// NAME=http://HOST[:PORT][/PATH]: plain HTTP only (no https, no user info, no
// fragment); the port defaults to 80, the path to /metrics.
absl::StatusOr<MetricsUrl> ParseMetricsUrl(absl::string_view spec);

// Distributed load: shard `index` of `count` (0 <= index < count) runs
// floor(users / count) users, one more for the first users % count shards, so
// the shards' users add up to `users` exactly. The shard's users are the whole
// run's users index, index + count, index + 2 * count, ... (see ShardUserId).
int ShardUsers(int users, int index, int count);
// The whole run's number of the shard's `local`-th user: local * count + index.
// Keys derived from it make the shards' request streams, together, the whole
// run's.
int64_t ShardUserId(int local, int index, int count);
// The shard's share of an open-loop rate: rate / count. Its arrivals are the
// whole run's arrivals index, index + count, ... of the step's schedule.
double ShardRate(double rate, int count);

enum class Mode { kClosed, kOpen };

struct RunConfig {
  std::vector<Target> targets;
  Mode mode = Mode::kClosed;
  Ramp ramp;
  absl::Duration step_duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(2);
  // Closed loop: new users started per second within a step.
  double spawn_rate = 100;
  absl::Duration think_time = absl::Seconds(1);
  Scenario scenario;
  absl::Duration deadline = absl::Seconds(10);
  int channels = 4;
  // Open loop: calls in flight at most; a send due beyond it waits (and goes
  // out late).
  int max_in_flight = 10'000;
  uint64_t seed = 1;
  // GetItem ids are drawn from 1..item_ids (the "get" scenario).
  int item_ids = 800;
  DetectionRules rules;
  // Steps to run after error onset before stopping; negative: never stop.
  int stop_on_errors = 2;
  std::string out_dir;
  std::string command;
  // Non-empty: call the targets over TLS, trusting these PEM root
  // certificates (--tls_ca); empty: plaintext.
  std::string tls_root_certs_pem;
  // With TLS: the name the server's certificate must carry, when it differs
  // from the target's host (--tls_server_name).
  std::string tls_server_name;
  // Distributed load: this process is shard `shard_index` of `shard_count`.
  int shard_index = 0;
  int shard_count = 1;
  // Set: wait until then before the first step; each target's ramp then has a
  // fixed time slot (target i starts at start_at + i * steps * step_duration),
  // so the shards of a distributed run stay aligned.
  std::optional<absl::Time> start_at;
  // Prometheus endpoints scraped around each step (--metrics_url).
  std::vector<MetricsUrl> metrics_urls;
};

}  // namespace asyncgrpc::loadgen
