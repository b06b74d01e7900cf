// loadgen: ramps load against gRPC ItemService targets and compares them side
// by side.
//   loadgen --target sync=127.0.0.1:50051 --target async=127.0.0.1:50052
//   --users 10:200:10 --out DIR loadgen report DIR        re-renders
//   DIR/report.html from DIR/results.json
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/flags.h"
#include "loadgen/config.h"
#include "loadgen/outputs.h"
#include "loadgen/report_html.h"
#include "loadgen/runner.h"

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

namespace asyncgrpc::loadgen {
namespace {

RunConfig ConfigFromFlagsOrExit(int argc, char** argv) {
  RunConfig config;
  for (const std::string& spec : absl::GetFlag(FLAGS_target)) {
    absl::StatusOr<Target> target = ParseTarget(spec);
    if (!target.ok()) {
      ExitWithUsageError(target.status().message());
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
  if (config.step_duration <= absl::ZeroDuration() ||
      config.warmup < absl::ZeroDuration() ||
      config.warmup >= config.step_duration) {
    ExitWithUsageError(
        "--step_duration must be positive and --warmup between 0 and "
        "--step_duration");
  }
  config.spawn_rate = absl::GetFlag(FLAGS_spawn_rate);
  if (!(config.spawn_rate > 0)) {
    ExitWithUsageError("--spawn_rate must be positive");
  }
  config.think_time = absl::GetFlag(FLAGS_think_time);
  config.deadline = absl::GetFlag(FLAGS_deadline);
  if (config.think_time < absl::ZeroDuration() ||
      config.deadline <= absl::ZeroDuration()) {
    ExitWithUsageError(
        "--think_time must not be negative and --deadline must be positive");
  }
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
      !(config.rules.error_threshold >= 0 &&
        config.rules.error_threshold < 1)) {
    ExitWithUsageError(
        "--slowdown_factor must be above 1 and --error_threshold in [0, 1)");
  }
  config.stop_on_errors = absl::GetFlag(FLAGS_stop_on_errors);
  config.out_dir = absl::GetFlag(FLAGS_out);
  if (config.out_dir.empty()) {
    config.out_dir = absl::StrCat(
        "results/loadgen-",
        absl::FormatTime("%Y%m%dT%H%M%SZ", absl::Now(), absl::UTCTimeZone()));
  }
  std::vector<std::string> words(argv, argv + argc);
  config.command = absl::StrJoin(words, " ");
  return config;
}

}  // namespace
}  // namespace asyncgrpc::loadgen

int main(int argc, char** argv) {
  using namespace asyncgrpc;
  using namespace asyncgrpc::loadgen;
  const std::vector<std::string> args = ParseFlagsOrExit(
      argc, argv,
      "Ramps load against items.v1.ItemService targets and compares them:\n"
      "  loadgen --target sync=127.0.0.1:50051 --target "
      "async=127.0.0.1:50052 --users 10:200:10\n"
      "  loadgen report DIR   (re-render DIR/report.html from "
      "DIR/results.json)");
  if (!args.empty()) {
    if (args[0] == "report" && args.size() == 2) {
      if (absl::Status status = RerenderReport(args[1]); !status.ok()) {
        std::cerr << ProgramName() << ": " << status.message() << std::endl;
        return 1;
      }
      std::cout << args[1] << "/report.html" << std::endl;
      return 0;
    }
    ExitWithUsageError(absl::StrCat("unknown command \"",
                                    absl::StrJoin(args, " "),
                                    "\" (try: report DIR, or --help)"));
  }
  const RunConfig config = ConfigFromFlagsOrExit(argc, argv);
  absl::StatusOr<::loadgen::v1::Results> results = Run(config);
  if (!results.ok()) {
    ExitWithUsageError(results.status().message());
  }
  if (absl::Status status = WriteOutputs(*results, config.out_dir);
      !status.ok()) {
    std::cerr << ProgramName() << ": " << status.message() << std::endl;
    return 1;
  }
  std::cout << SummaryTable(*results) << "\nreport: " << config.out_dir
            << "/report.html" << std::endl;
  return 0;
}
