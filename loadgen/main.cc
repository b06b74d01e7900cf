// loadgen: ramps load against gRPC ItemService targets and compares them side
// by side: flags -> config (core/config.h) -> run (core/runner.h, with the
// servers' metrics from server_metrics/ and CPU by process from process_cpu/)
// -> outputs (report/). Six commands besides: `report` re-renders a report,
// `merge` merges a distributed run's shards (distributed/), `diff` compares two
// runs (diff/), `identical` checks that two targets answer alike (identical/),
// `sweep` collects the runs of a swept knob (sweep/), `cpu` samples the CPU of
// processes loadgen does not drive (process_cpu/).
//
//   loadgen --target sync=127.0.0.1:50051 --target async=127.0.0.1:50052 \
//       --users 10:200:10 --out DIR
//   loadgen report DIR             re-renders DIR/report.html from results.json
//   loadgen merge --out DIR IN...  merges the shards of a distributed run
//   loadgen diff A B               compares two runs step by step
//   loadgen identical --target A=HOST:PORT --target B=HOST:PORT
//                                  same requests to both, answers compared
//   loadgen sweep NAME VALUE=DIR... --out DIR
//                                  one run per value, with the crossover
//   loadgen cpu NAME=PID... --warmup 2s --step_duration 8s
//                                  CPU and context switches over a window
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/flags.h"
#include "common/base/pem_file.h"
#include "common/base/runtime_settings.h"
#include "loadgen/core/config.h"
#include "loadgen/core/grpc_log.h"
#include "loadgen/core/runner.h"
#include "loadgen/diff/diff_command.h"
#include "loadgen/distributed/framing.h"
#include "loadgen/distributed/merge.h"
#include "loadgen/distributed/merge_input.h"
#include "loadgen/identical/identical_command.h"
#include "loadgen/process_cpu/cpu_command.h"
#include "loadgen/process_cpu/recorder.h"
#include "loadgen/report/outputs.h"
#include "loadgen/report/report_html.h"
#include "loadgen/server_metrics/recorder.h"
#include "loadgen/sweep/sweep_command.h"
#include "loadgen/verdict/verdict.h"

// Every run flag's default is RunFlags' (loadgen/core/config.h): one copy.
namespace {
const asyncgrpc::loadgen::RunFlags kDefaults;
}  // namespace

ABSL_FLAG(std::vector<std::string>, target, {},
          "NAME=HOST:PORT to ramp; repeat for several (each is ramped in turn "
          "with the same schedule, seed and payloads)");
ABSL_FLAG(std::string, users, "",
          "closed loop: virtual users START:END:STEP (like Locust)");
ABSL_FLAG(std::string, rate, "",
          "open loop: arrivals per second START:END:STEP; latency is measured "
          "from each call's planned send time (corrected for coordinated "
          "omission) and from its actual send");
ABSL_FLAG(absl::Duration, step_duration, kDefaults.step_duration,
          "length of each step");
ABSL_FLAG(absl::Duration, warmup, kDefaults.warmup,
          "first part of each step left out of its statistics");
ABSL_FLAG(double, spawn_rate, kDefaults.spawn_rate,
          "closed loop: new users started per second");
ABSL_FLAG(absl::Duration, think_time, kDefaults.think_time,
          "closed loop: pause between a user's iterations (the study used 1s)");
ABSL_FLAG(std::string, scenario, kDefaults.scenario,
          "seed (ListItems then GetItem of a listed item: the study's two "
          "queries), get, list, or mix:get=W,list=W,seed=W");
ABSL_FLAG(absl::Duration, deadline, kDefaults.deadline,
          "deadline of each call");
ABSL_FLAG(int, channels, kDefaults.channels,
          "gRPC channels (TCP connections) per target");
ABSL_FLAG(int, max_in_flight, kDefaults.max_in_flight,
          "open loop: calls in flight at most; a send due beyond it waits and "
          "goes out late (its corrected latency shows the wait)");
ABSL_FLAG(uint64_t, seed, kDefaults.seed,
          "random seed (same requests for every target)");
ABSL_FLAG(int, item_ids, kDefaults.item_ids,
          "the get scenario asks for ids 1..N");
ABSL_FLAG(double, slowdown_factor, kDefaults.slowdown_factor,
          "slowdown onset: the first of two steps in a row whose p95 exceeds "
          "this times the baseline p95 (the lowest of the first three steps) "
          "and the baseline plus --slowdown_floor");
ABSL_FLAG(absl::Duration, slowdown_floor, kDefaults.slowdown_floor,
          "slowdown onset needs a p95 at least this much above the baseline, "
          "so scheduling noise on a millisecond baseline is not a knee");
ABSL_FLAG(double, error_threshold, kDefaults.error_threshold,
          "error onset: first step whose error ratio exceeds this");
ABSL_FLAG(int, stop_on_errors, kDefaults.stop_on_errors,
          "stop a target this many steps after its error onset (-1: never)");
ABSL_FLAG(std::string, out, "",
          "output directory (default results/loadgen-<UTC time>)");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM root certificate(s): call the targets over TLS, trusting these "
          "(empty: plaintext)");
ABSL_FLAG(std::string, tls_server_name, "",
          "with --tls_ca: the name the targets' certificate must carry, when "
          "it is not the target's host");
ABSL_FLAG(int, shard_index, kDefaults.shard_index,
          "distributed load: this process is shard I (0 <= I < "
          "--shard_count) of the run");
ABSL_FLAG(int, shard_count, kDefaults.shard_count,
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
ABSL_FLAG(std::vector<std::string>, cpu_pid, {},
          "NAME=PID: record the CPU use per call of a process on this machine "
          "in every step, NAME a --target's name (its server: the process) or "
          "db (a PostgreSQL postmaster: it and every backend it forks); "
          "loadgen's own is always recorded (repeatable)");
ABSL_FLAG(std::string, slo, "",
          "capacity under a service-level objective, e.g. "
          "'p99<=50ms,errors<=0.1%' (p50, p90, p95, p99, p999, errors): after "
          "the ramp, bisect between the last step that met it and the first "
          "that missed it, each probe a full step; summary.capacity is the "
          "highest load that met it");
ABSL_FLAG(std::string, slo_precision, kDefaults.slo_precision,
          "with --slo: stop the search once its bracket is within this share "
          "of the load (\"5%\" or 0.05; at most 50%)");
ABSL_FLAG(int, repeat, kDefaults.repeat,
          "run each target's whole ramp (and search) N times, interleaved "
          "across targets (A, B, A, B); the summary gives each point's median "
          "and range, and with N >= 3 says where two targets differ");
ABSL_FLAG(std::string, description, "",
          "what this run is, in words (e.g. scripts/compare's preset and what "
          "it changes); stdout and the report show it first");
ABSL_FLAG(std::optional<double>, fail_on_regression, std::nullopt,
          "loadgen diff A B: exit 1 when B is significantly worse than A by "
          "more than this many percent at any step");

namespace asyncgrpc::loadgen {
namespace {

void CheckOutputDirOrExit(const std::string& dir) {
  if (absl::Status status = CheckOutputDir(dir); !status.ok()) {
    ExitWithUsageError(absl::StrCat("--out: ", status.message()));
  }
}

RunFlags RunFlagsFromCommandLine(int argc, char** argv) {
  return {
      .targets = absl::GetFlag(FLAGS_target),
      .users = absl::GetFlag(FLAGS_users),
      .rate = absl::GetFlag(FLAGS_rate),
      .step_duration = absl::GetFlag(FLAGS_step_duration),
      .warmup = absl::GetFlag(FLAGS_warmup),
      .spawn_rate = absl::GetFlag(FLAGS_spawn_rate),
      .think_time = absl::GetFlag(FLAGS_think_time),
      .scenario = absl::GetFlag(FLAGS_scenario),
      .deadline = absl::GetFlag(FLAGS_deadline),
      .channels = absl::GetFlag(FLAGS_channels),
      .max_in_flight = absl::GetFlag(FLAGS_max_in_flight),
      .seed = absl::GetFlag(FLAGS_seed),
      .item_ids = absl::GetFlag(FLAGS_item_ids),
      .slowdown_factor = absl::GetFlag(FLAGS_slowdown_factor),
      .slowdown_floor = absl::GetFlag(FLAGS_slowdown_floor),
      .error_threshold = absl::GetFlag(FLAGS_error_threshold),
      .stop_on_errors = absl::GetFlag(FLAGS_stop_on_errors),
      .out = absl::GetFlag(FLAGS_out),
      .tls_ca_given = !absl::GetFlag(FLAGS_tls_ca).empty(),
      .tls_server_name = absl::GetFlag(FLAGS_tls_server_name),
      .shard_index = absl::GetFlag(FLAGS_shard_index),
      .shard_count = absl::GetFlag(FLAGS_shard_count),
      .start_at = absl::GetFlag(FLAGS_start_at),
      .metrics_urls = absl::GetFlag(FLAGS_metrics_url),
      .cpu_pids = absl::GetFlag(FLAGS_cpu_pid),
      .slo = absl::GetFlag(FLAGS_slo),
      .slo_precision = absl::GetFlag(FLAGS_slo_precision),
      .repeat = absl::GetFlag(FLAGS_repeat),
      .description = absl::GetFlag(FLAGS_description),
      .command =
          absl::StrJoin(std::vector<std::string>(argv, argv + argc), " "),
  };
}

RunConfig ConfigFromFlagsOrExit(int argc, char** argv) {
  absl::StatusOr<RunConfig> config =
      MakeRunConfig(RunFlagsFromCommandLine(argc, argv), absl::Now());
  if (!config.ok()) {
    ExitWithUsageError(config.status().message());
  }
  CheckOutputDirOrExit(config->out_dir);
  if (const std::string ca = absl::GetFlag(FLAGS_tls_ca); !ca.empty()) {
    absl::StatusOr<std::string> pem = ReadPemFile("tls_ca", ca, "CERTIFICATE");
    if (!pem.ok()) {
      ExitWithUsageError(pem.status().message());
    }
    config->tls_root_certs_pem = *std::move(pem);
  }
  return *std::move(config);
}

// With two targets adds the verdict; writes the outputs to `dir`, prints the
// summary, the verdict last and, with --print_results, the framed results;
// the process's exit code.
int Finish(::loadgen::v1::Results results, const std::string& dir) {
  if (results.targets_size() == 2) {
    *results.mutable_verdict() = BuildVerdict(results);
  }
  if (absl::Status status = WriteOutputs(results, dir); !status.ok()) {
    std::cerr << ProgramName() << ": " << status.message() << std::endl;
    return 1;
  }
  if (!results.config().description().empty()) {
    std::cout << "run: " << results.config().description() << "\n\n";
  }
  std::cout << SummaryTable(results) << "\nreport: " << dir << "/report.html"
            << std::endl;
  if (const std::string verdict = VerdictText(results.verdict());
      !verdict.empty()) {
    std::cout << "\n" << verdict << std::flush;
  }
  if (!absl::GetFlag(FLAGS_print_results)) {
    return 0;
  }
  absl::StatusOr<std::string> framed = FrameResults(results);
  if (!framed.ok()) {
    std::cerr << ProgramName() << ": " << framed.status().message()
              << std::endl;
    return 1;
  }
  std::cout << *framed << std::flush;
  return 0;
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
  return Finish(*std::move(merged), out);
}

// `loadgen report DIR`
int Rerender(const std::string& dir) {
  if (absl::Status status = RerenderReport(dir); !status.ok()) {
    std::cerr << ProgramName() << ": " << status.message() << std::endl;
    return 1;
  }
  std::cout << dir << "/report.html" << std::endl;
  return 0;
}

// What each step records besides the calls: the servers' metrics
// (--metrics_url) and CPU by process (loadgen's own, --cpu_pid).
RunHooks ObserversOf(const RunConfig& config) {
  RunHooks hooks = ServerMetricsHooks(config);
  hooks.observer_for =
      [&config, metrics = std::move(hooks.observer_for)](const Target& target) {
        std::vector<std::unique_ptr<StepObserver>> all;
        if (metrics) {
          all.push_back(metrics(target));
        }
        all.push_back(NewProcessCpuRecorder(config, target));
        return std::make_unique<StepObservers>(std::move(all));
      };
  return hooks;
}

int RunAndReport(int argc, char** argv) {
  if (absl::GetFlag(FLAGS_fail_on_regression).has_value()) {
    ExitWithUsageError(
        "--fail_on_regression is for loadgen diff A B, not for a run");
  }
  const RunConfig config = ConfigFromFlagsOrExit(argc, argv);
  KeepGrpcLogOffStderr();
  absl::StatusOr<::loadgen::v1::Results> results =
      Run(config, ObserversOf(config));
  if (!results.ok()) {
    const std::string grpc_error = LastGrpcError();
    ExitWithUsageError(grpc_error.empty()
                           ? std::string(results.status().message())
                           : absl::StrCat(results.status().message(),
                                          " (gRPC: ", grpc_error, ")"));
  }
  return Finish(*std::move(results), config.out_dir);
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
      "logs with --print_results blocks)\n"
      "  loadgen diff A B [--fail_on_regression PCT]   (compare two runs of "
      "the same config, step by step)\n"
      "  loadgen identical --target A=HOST:PORT --target B=HOST:PORT   "
      "(check that two targets give the same status and byte-identical "
      "answers to the same requests)\n"
      "  loadgen sweep NAME VALUE=DIR... --out DIR   (collect the runs of a "
      "swept knob, one per value, into DIR/sweep.json and report.html, with "
      "the crossover)\n"
      "  loadgen cpu NAME=PID... [--warmup D] [--step_duration D]   (CPU and "
      "context switches of processes loadgen does not drive, over a window, "
      "as one JSON line; \"db\" is a PostgreSQL process tree)");
  if (args.empty()) {
    return RunAndReport(argc, argv);
  }
  if (args[0] == "report" && args.size() == 2) {
    return Rerender(args[1]);
  }
  if (args[0] == "merge") {
    return Merge({args.begin() + 1, args.end()}, argc, argv);
  }
  if (args[0] == "diff" && args.size() == 3) {
    return DiffCommand(args[1], args[2],
                       absl::GetFlag(FLAGS_fail_on_regression), std::cout,
                       std::cerr);
  }
  if (args[0] == "sweep") {
    const std::vector<std::string> words(argv, argv + argc);
    return SweepCommand({.args = {args.begin() + 1, args.end()},
                         .out_dir = absl::GetFlag(FLAGS_out),
                         .description = absl::GetFlag(FLAGS_description),
                         .command = absl::StrJoin(words, " ")},
                        std::cout, std::cerr);
  }
  if (args[0] == "identical" && args.size() == 1) {
    return IdenticalCommand(
        {.targets = absl::GetFlag(FLAGS_target),
         .tls_ca = absl::GetFlag(FLAGS_tls_ca),
         .tls_server_name = absl::GetFlag(FLAGS_tls_server_name)},
        std::cout, std::cerr);
  }
  if (args[0] == "cpu") {
    return CpuCommand({.processes = {args.begin() + 1, args.end()},
                       .warmup = absl::GetFlag(FLAGS_warmup),
                       .window = absl::GetFlag(FLAGS_step_duration)},
                      std::cout, std::cerr);
  }
  ExitWithUsageError(absl::StrCat(
      "unknown command \"", absl::StrJoin(args, " "),
      "\" (try: report DIR, merge --out DIR INPUT..., diff A B, identical "
      "--target A=... --target B=..., sweep NAME VALUE=DIR... --out DIR, cpu "
      "NAME=PID..., or --help)"));
}
