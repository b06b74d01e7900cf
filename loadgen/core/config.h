// loadgen's run configuration and the checks that make one from the command
// line: RunFlags holds the flags as given, MakeRunConfig checks them all (each
// error one line naming the flag, INVALID_ARGUMENT) and parses their
// notations (notation.h). Pure logic apart from the clock it is handed; what
// needs the file system (--out, --tls_ca) main.cc checks.
//
//   RunFlags flags{.targets = {"sync=127.0.0.1:50051"}, .users = "10:100:10"};
//   absl::StatusOr<RunConfig> config = MakeRunConfig(flags, absl::Now());
//   if (!config.ok()) ExitWithUsageError(config.status().message());
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "loadgen/core/detection.h"
#include "loadgen/core/notation.h"
#include "loadgen/core/slo.h"

namespace asyncgrpc::loadgen {

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
  // Processes whose CPU use each step records (--cpu_pid).
  std::vector<CpuPid> cpu_pids;
  // Set: after each ramp, search the highest load that meets it (--slo).
  std::optional<Slo> slo;
  // The search stops within this fraction of the load (--slo_precision).
  double slo_precision = 0.05;
  // Each target's whole ramp (and search) runs this many times (--repeat).
  int repeat = 1;
  // What this run is, in words (--description), for the record and the report.
  std::string description;
};

// The command line as given (main.cc fills it from its flags); the defaults
// are the flags'.
struct RunFlags {
  std::vector<std::string> targets;
  std::string users;
  std::string rate;
  absl::Duration step_duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(2);
  double spawn_rate = 100;
  absl::Duration think_time = absl::Seconds(1);
  std::string scenario = "seed";
  absl::Duration deadline = absl::Seconds(10);
  int channels = 4;
  int max_in_flight = 10'000;
  uint64_t seed = 1;
  int item_ids = 800;
  double slowdown_factor = 2.0;
  absl::Duration slowdown_floor = absl::Milliseconds(10);
  double error_threshold = 0.01;
  int stop_on_errors = 2;
  // Empty: results/loadgen-<UTC time>.
  std::string out;
  // Whether --tls_ca was given (main.cc reads the file).
  bool tls_ca_given = false;
  std::string tls_server_name;
  int shard_index = 0;
  int shard_count = 1;
  std::string start_at;
  std::vector<std::string> metrics_urls;
  std::vector<std::string> cpu_pids;
  std::string slo;
  std::string slo_precision = "5%";
  int repeat = 1;
  std::string description;
  // The whole command line, for the record.
  std::string command;
};

// Checks every flag and builds the run's configuration; `now` dates the
// default output directory and judges --start_at. The TLS certificates are
// left empty.
absl::StatusOr<RunConfig> MakeRunConfig(const RunFlags& flags, absl::Time now);

}  // namespace asyncgrpc::loadgen
