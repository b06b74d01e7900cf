// loadgen's run configuration and the parsing of its command-line notations:
// ramps
// ("10:200:10"), targets ("sync=127.0.0.1:50051") and scenarios ("seed", "get",
// "list", "mix:get=8,list=1,seed=1"). Pure logic; every error names the flag
// and the expected form.
//
//   absl::StatusOr<Ramp> ramp = ParseRamp("--users", "10:100:10");
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "loadgen/detection.h"

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
};

}  // namespace asyncgrpc::loadgen
