// loadgen: ramps load against gRPC ItemService targets and compares them side
// by side.
//   loadgen --target sync=127.0.0.1:50051 --target async=127.0.0.1:50052 \
//       --users 10:200:10 --out DIR
//   loadgen report DIR             re-renders DIR/report.html from results.json
//   loadgen merge --out DIR IN...  merges the shards of a distributed run
#include <grpc/support/log.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/flags.h"
#include "common/runtime_settings.h"
#include "loadgen/core/config.h"
#include "loadgen/core/runner.h"
#include "loadgen/distributed/merge.h"
#include "loadgen/report/outputs.h"
#include "loadgen/report/report_html.h"
#include "loadgen/server_metrics/metrics_scraper.h"

ABSL_FLAG(std::vector<std::string>, target, {},
          "NAME=HOST:PORT to ramp; repeat for several (each is ramped in turn "
          "with the same schedule, seed and payloads)");
ABSL_FLAG(std::string, users, "",
          "closed loop: virtual users START:END:STEP (like Locust)");
ABSL_FLAG(std::string, rate, "",
          "open loop: arrivals per second START:END:STEP; latency is measured "
          "from each call's planned send time (corrected for coordinated "
          "omission) and from its actual send");
ABSL_FLAG(absl::Duration, step_duration, absl::Seconds(10),
          "length of each step");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2),
          "first part of each step left out of its statistics");
ABSL_FLAG(double, spawn_rate, 100, "closed loop: new users started per second");
ABSL_FLAG(absl::Duration, think_time, absl::Seconds(1),
          "closed loop: pause between a user's iterations (the study used 1s)");
ABSL_FLAG(std::string, scenario, "seed",
          "seed (ListItems then GetItem of a listed item: the study's two "
          "queries), get, list, or mix:get=W,list=W,seed=W");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(10), "deadline of each call");
ABSL_FLAG(int, channels, 4, "gRPC channels (TCP connections) per target");
ABSL_FLAG(int, max_in_flight, 10000,
          "open loop: calls in flight at most; a send due beyond it waits and "
          "goes out late (its corrected latency shows the wait)");
ABSL_FLAG(uint64_t, seed, 1, "random seed (same requests for every target)");
ABSL_FLAG(int, item_ids, 800, "the get scenario asks for ids 1..N");
ABSL_FLAG(double, slowdown_factor, 2.0,
          "slowdown onset: first step whose p95 exceeds this times the first "
          "step's p95");
ABSL_FLAG(double, error_threshold, 0.01,
          "error onset: first step whose error ratio exceeds this");
ABSL_FLAG(int, stop_on_errors, 2,
          "stop a target this many steps after its error onset (-1: never)");
ABSL_FLAG(std::string, out, "",
          "output directory (default results/loadgen-<UTC time>)");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM root certificate(s): call the targets over TLS, trusting these "
          "(empty: plaintext)");
ABSL_FLAG(std::string, tls_server_name, "",
          "with --tls_ca: the name the targets' certificate must carry, when "
          "it is not the target's host");
ABSL_FLAG(int, shard_index, 0,
          "distributed load: this process is shard I (0 <= I < "
          "--shard_count) of the run");
ABSL_FLAG(int, shard_count, 1,
          "distributed load: the run is split over N loadgen processes, each "
          "running 1/N of every step's users or rate with its own share of "
          "the seed's request stream; `loadgen merge` merges their results");
ABSL_FLAG(std::string, start_at, "",
          "wait until this time (RFC 3339 UTC, e.g. 2026-11-25T14:00:00Z, or "
          "unix seconds) before the first step, and run every step and target "
          "on a fixed plan from it, so all shards stay aligned; more than 1s "
          "in the past is an error");
ABSL_FLAG(bool, print_results, false,
          "at the end, also print results.json on one line to stdout between "
          "the lines '=== loadgen results.json begin ===' and '=== loadgen "
          "results.json end ===' (collect `kubectl logs` of the pods into a "
          "file and give it to `loadgen merge`)");
ABSL_FLAG(std::vector<std::string>, metrics_url, {},
          "NAME=http://HOST:PORT/PATH: scrape target NAME's Prometheus "
          "endpoint when each step's measured window starts and ends, and "
          "record the server's own figures per step (repeatable; a failed "
          "scrape is recorded, never fatal)");

namespace asyncgrpc::loadgen {
namespace {

// Beyond these a ramp is a typo, not a load this machine could generate.
constexpr double kMostUsers = 100'000;
constexpr int kMostShards = 10'000;
constexpr double kHighestRate = 1'000'000;
// Every duration flag is at most this.
constexpr absl::Duration kLongestDuration = absl::Hours(24);

// Exits unless every number in the ramp `spec` is at most `most` (ParseRamp
// judges the rest).
void CheckRampBoundOrExit(absl::string_view flag, const std::string& spec,
                          double most) {
  for (absl::string_view part : absl::StrSplit(spec, ':')) {
    double value = 0;
    if (absl::SimpleAtod(part, &value) && std::isfinite(value) &&
        value > most) {
      ExitWithUsageError(absl::StrCat(flag, " values must be at most ", most,
                                      ", got \"", spec, "\""));
    }
  }
}

void CheckDurationOrExit(absl::string_view flag, absl::Duration value,
                         bool zero_allowed) {
  if (value < absl::ZeroDuration() ||
      (!zero_allowed && value == absl::ZeroDuration()) ||
      value > kLongestDuration) {
    ExitWithUsageError(absl::StrCat(
        flag, " must be ", zero_allowed ? "between 0" : "above 0", " and ",
        zero_allowed ? "" : "at most ", absl::FormatDuration(kLongestDuration),
        ", got ", absl::FormatDuration(value)));
  }
}

// Exits unless `dir` is, or can be created as, a writable directory: found
// out before the load, not after it. Tries for real (root passes access(2)
// checks on read-only file systems), and leaves nothing behind.
void CheckOutputDirOrExit(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::path existing = fs::absolute(dir, error);
  while (!error && !fs::exists(existing, error) && existing.has_parent_path() &&
         existing != existing.parent_path()) {
    existing = existing.parent_path();
  }
  if (!error && fs::create_directories(dir, error)) {
    // Undo: remove what was just created, innermost first.
    for (fs::path made = fs::absolute(dir); made != existing;
         made = made.parent_path()) {
      fs::remove(made, error);
    }
    return;
  }
  if (!error) {
    // It existed: can a file be made in it?
    std::string probe = (fs::path(dir) / ".loadgen-probe-XXXXXX").string();
    const int fd = mkstemp(probe.data());
    if (fd >= 0) {
      close(fd);
      unlink(probe.c_str());
      return;
    }
    error = std::error_code(errno, std::generic_category());
  }
  ExitWithUsageError(
      absl::StrCat("--out: cannot write \"", dir, "\": ", error.message()));
}

// gRPC's own log (multi-line errors such as a failed TLS handshake, repeated
// per channel and retry) is kept off stderr, where progress and the one-line
// errors go: the last error is kept to explain an unreachable target.
// GRPC_VERBOSITY set in the environment lets it through as well.
absl::Mutex grpc_log_mutex(absl::kConstInit);
std::string* last_grpc_error ABSL_GUARDED_BY(grpc_log_mutex) = nullptr;

void KeepGrpcLog(gpr_log_func_args* args) {
  static const bool verbose = std::getenv("GRPC_VERBOSITY") != nullptr;
  absl::string_view message = args->message;
  message = message.substr(0, message.find(" {"));
  if (verbose) {
    std::cerr << "grpc: " << message << std::endl;
  }
  if (args->severity == GPR_LOG_SEVERITY_ERROR) {
    absl::MutexLock lock(&grpc_log_mutex);
    if (last_grpc_error == nullptr) {
      last_grpc_error = new std::string;
    }
    *last_grpc_error = std::string(message);
  }
}

std::string LastGrpcError() {
  absl::MutexLock lock(&grpc_log_mutex);
  return last_grpc_error != nullptr ? *last_grpc_error : "";
}

// The PEM certificates in `path`, or exits naming --tls_ca. (The services'
// reader lives with their flags, which loadgen must not link.)
std::string ReadCaFileOrExit(const std::string& path) {
  auto fail = [&](absl::string_view why) {
    ExitWithUsageError(
        absl::StrCat("--tls_ca: cannot use \"", path, "\": ", why));
  };
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    fail(error ? error.message() : "not a regular file");
  }
  if (std::filesystem::file_size(path, error) > (1 << 20)) {
    fail("larger than 1 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    fail("cannot read it");
  }
  if (!absl::StrContains(text.str(), "-----BEGIN CERTIFICATE-----")) {
    fail("no PEM CERTIFICATE in it");
  }
  return text.str();
}

RunConfig ConfigFromFlagsOrExit(int argc, char** argv) {
  RunConfig config;
  absl::flat_hash_set<std::string> names;
  for (const std::string& spec : absl::GetFlag(FLAGS_target)) {
    absl::StatusOr<Target> target = ParseTarget(spec);
    if (!target.ok()) {
      ExitWithUsageError(target.status().message());
    }
    if (!names.insert(target->name).second) {
      ExitWithUsageError(absl::StrCat("--target: the name \"", target->name,
                                      "\" is given twice"));
    }
    config.targets.push_back(*target);
  }
  if (config.targets.empty()) {
    ExitWithUsageError("give at least one --target NAME=HOST:PORT");
  }
  const std::string users = absl::GetFlag(FLAGS_users);
  const std::string rate = absl::GetFlag(FLAGS_rate);
  if (users.empty() == rate.empty()) {
    ExitWithUsageError(
        "give exactly one of --users START:END:STEP (closed loop) and --rate "
        "START:END:STEP (open loop)");
  }
  config.mode = users.empty() ? Mode::kOpen : Mode::kClosed;
  if (users.empty()) {
    CheckRampBoundOrExit("--rate", rate, kHighestRate);
  } else {
    CheckRampBoundOrExit("--users", users, kMostUsers);
  }
  absl::StatusOr<Ramp> ramp = users.empty()
                                  ? ParseRamp("--rate", rate, /*whole=*/false)
                                  : ParseRamp("--users", users, /*whole=*/true);
  if (!ramp.ok()) {
    ExitWithUsageError(ramp.status().message());
  }
  config.ramp = *ramp;
  absl::StatusOr<Scenario> scenario =
      ParseScenario(absl::GetFlag(FLAGS_scenario));
  if (!scenario.ok()) {
    ExitWithUsageError(scenario.status().message());
  }
  config.scenario = *scenario;
  config.step_duration = absl::GetFlag(FLAGS_step_duration);
  config.warmup = absl::GetFlag(FLAGS_warmup);
  CheckDurationOrExit("--step_duration", config.step_duration,
                      /*zero_allowed=*/false);
  if (config.warmup < absl::ZeroDuration() ||
      config.warmup >= config.step_duration) {
    ExitWithUsageError(
        "--step_duration must be positive and --warmup between 0 and "
        "--step_duration");
  }
  config.spawn_rate = absl::GetFlag(FLAGS_spawn_rate);
  if (!(config.spawn_rate > 0) || config.spawn_rate > kMostUsers) {
    ExitWithUsageError(
        absl::StrCat("--spawn_rate must be positive and at most ", kMostUsers));
  }
  config.think_time = absl::GetFlag(FLAGS_think_time);
  config.deadline = absl::GetFlag(FLAGS_deadline);
  CheckDurationOrExit("--think_time", config.think_time, /*zero_allowed=*/true);
  CheckDurationOrExit("--deadline", config.deadline, /*zero_allowed=*/false);
  config.channels = absl::GetFlag(FLAGS_channels);
  if (config.channels < 1 || config.channels > 256) {
    ExitWithUsageError("--channels must be between 1 and 256");
  }
  config.max_in_flight = absl::GetFlag(FLAGS_max_in_flight);
  if (config.max_in_flight < 1) {
    ExitWithUsageError("--max_in_flight must be positive");
  }
  config.seed = absl::GetFlag(FLAGS_seed);
  config.item_ids = absl::GetFlag(FLAGS_item_ids);
  if (config.item_ids < 1) {
    ExitWithUsageError("--item_ids must be positive");
  }
  config.rules.slowdown_factor = absl::GetFlag(FLAGS_slowdown_factor);
  config.rules.error_threshold = absl::GetFlag(FLAGS_error_threshold);
  if (!(config.rules.slowdown_factor > 1) ||
      !std::isfinite(config.rules.slowdown_factor) ||
      !(config.rules.error_threshold >= 0 &&
        config.rules.error_threshold < 1)) {
    ExitWithUsageError(
        "--slowdown_factor must be above 1 and --error_threshold in [0, 1)");
  }
  config.stop_on_errors = absl::GetFlag(FLAGS_stop_on_errors);
  if (config.stop_on_errors < -1) {
    ExitWithUsageError(absl::StrCat(
        "--stop_on_errors must be -1 (never) or a number of steps, got ",
        config.stop_on_errors));
  }
  config.out_dir = absl::GetFlag(FLAGS_out);
  if (config.out_dir.empty()) {
    config.out_dir = absl::StrCat(
        "results/loadgen-",
        absl::FormatTime("%Y%m%dT%H%M%SZ", absl::Now(), absl::UTCTimeZone()));
  }
  CheckOutputDirOrExit(config.out_dir);
  if (const std::string ca = absl::GetFlag(FLAGS_tls_ca); !ca.empty()) {
    config.tls_root_certs_pem = ReadCaFileOrExit(ca);
  }
  config.tls_server_name = absl::GetFlag(FLAGS_tls_server_name);
  if (!config.tls_server_name.empty() && config.tls_root_certs_pem.empty()) {
    ExitWithUsageError("--tls_server_name needs --tls_ca");
  }
  config.shard_count = absl::GetFlag(FLAGS_shard_count);
  config.shard_index = absl::GetFlag(FLAGS_shard_index);
  if (config.shard_count < 1 || config.shard_count > kMostShards) {
    ExitWithUsageError(absl::StrCat("--shard_count must be between 1 and ",
                                    kMostShards, ", got ", config.shard_count));
  }
  if (config.shard_index < 0 || config.shard_index >= config.shard_count) {
    ExitWithUsageError(
        absl::StrCat("--shard_index must be between 0 and --shard_count - 1 (",
                     config.shard_count - 1, "), got ", config.shard_index));
  }
  if (const std::string start_at = absl::GetFlag(FLAGS_start_at);
      !start_at.empty()) {
    absl::StatusOr<absl::Time> time = ParseStartAt(start_at);
    if (!time.ok()) {
      ExitWithUsageError(time.status().message());
    }
    if (absl::Status late = CheckStartAt(*time, absl::Now()); !late.ok()) {
      ExitWithUsageError(late.message());
    }
    config.start_at = *time;
  }
  for (const std::string& spec : absl::GetFlag(FLAGS_metrics_url)) {
    absl::StatusOr<MetricsUrl> url = ParseMetricsUrl(spec);
    if (!url.ok()) {
      ExitWithUsageError(url.status().message());
    }
    if (!names.contains(url->target)) {
      ExitWithUsageError(absl::StrCat("--metrics_url: no --target is named \"",
                                      url->target, "\" (in \"", spec, "\")"));
    }
    config.metrics_urls.push_back(*url);
  }
  std::vector<std::string> words(argv, argv + argc);
  config.command = absl::StrJoin(words, " ");
  return config;
}

// Prints the results framed for `loadgen merge` (--print_results); false if
// they cannot be printed.
bool PrintFramedResults(const ::loadgen::v1::Results& results) {
  absl::StatusOr<std::string> framed = FrameResults(results);
  if (!framed.ok()) {
    std::cerr << ProgramName() << ": " << framed.status().message()
              << std::endl;
    return false;
  }
  std::cout << *framed << std::flush;
  return true;
}

// `loadgen merge --out DIR INPUT...`
int Merge(const std::vector<std::string>& inputs, int argc, char** argv) {
  if (inputs.empty()) {
    ExitWithUsageError(
        "merge needs at least one INPUT (a results.json, a directory holding "
        "one, or a log with --print_results blocks)");
  }
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    ExitWithUsageError("merge needs --out DIR");
  }
  CheckOutputDirOrExit(out);
  std::vector<MergeInput> shards;
  for (const std::string& path : inputs) {
    absl::StatusOr<std::vector<MergeInput>> read = ReadMergeInput(path);
    if (!read.ok()) {
      ExitWithUsageError(read.status().message());
    }
    for (MergeInput& input : *read) {
      shards.push_back(std::move(input));
    }
  }
  std::vector<std::string> words(argv, argv + argc);
  absl::StatusOr<::loadgen::v1::Results> merged =
      MergeShards(std::move(shards), absl::StrJoin(words, " "));
  if (!merged.ok()) {
    ExitWithUsageError(merged.status().message());
  }
  if (absl::Status status = WriteOutputs(*merged, out); !status.ok()) {
    std::cerr << ProgramName() << ": " << status.message() << std::endl;
    return 1;
  }
  std::cout << SummaryTable(*merged) << "\nreport: " << out << "/report.html"
            << std::endl;
  if (absl::GetFlag(FLAGS_print_results) && !PrintFramedResults(*merged)) {
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace asyncgrpc::loadgen

int main(int argc, char** argv) {
  using namespace asyncgrpc;
  using namespace asyncgrpc::loadgen;
  ApplyRuntimeSettings();
  const std::vector<std::string> args = ParseFlagsOrExit(
      argc, argv,
      "Ramps load against items.v1.ItemService targets and compares them:\n"
      "  loadgen --target sync=127.0.0.1:50051 --target "
      "async=127.0.0.1:50052 --users 10:200:10\n"
      "  loadgen report DIR   (re-render DIR/report.html from "
      "DIR/results.json)\n"
      "  loadgen merge --out DIR INPUT...   (merge the shards of a "
      "distributed run: results.json files, directories holding one, or "
      "logs with --print_results blocks)");
  if (!args.empty()) {
    if (args[0] == "report" && args.size() == 2) {
      if (absl::Status status = RerenderReport(args[1]); !status.ok()) {
        std::cerr << ProgramName() << ": " << status.message() << std::endl;
        return 1;
      }
      std::cout << args[1] << "/report.html" << std::endl;
      return 0;
    }
    if (args[0] == "merge") {
      return Merge({args.begin() + 1, args.end()}, argc, argv);
    }
    ExitWithUsageError(absl::StrCat(
        "unknown command \"", absl::StrJoin(args, " "),
        "\" (try: report DIR, merge --out DIR INPUT..., or --help)"));
  }
  const RunConfig config = ConfigFromFlagsOrExit(argc, argv);
  gpr_set_log_function(&KeepGrpcLog);
  absl::StatusOr<::loadgen::v1::Results> results =
      Run(config, ServerMetricsHooks(config));
  if (!results.ok()) {
    const std::string grpc_error = LastGrpcError();
    ExitWithUsageError(grpc_error.empty()
                           ? std::string(results.status().message())
                           : absl::StrCat(results.status().message(),
                                          " (gRPC: ", grpc_error, ")"));
  }
  if (absl::Status status = WriteOutputs(*results, config.out_dir);
      !status.ok()) {
    std::cerr << ProgramName() << ": " << status.message() << std::endl;
    return 1;
  }
  std::cout << SummaryTable(*results) << "\nreport: " << config.out_dir
            << "/report.html" << std::endl;
  if (absl::GetFlag(FLAGS_print_results) && !PrintFramedResults(*results)) {
    return 1;
  }
  return 0;
}
