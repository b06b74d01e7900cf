#include "loadgen/core/runner.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <iostream>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/status_macros.h"
#include "loadgen/core/detection.h"
#include "loadgen/core/spread.h"
#include "loadgen/core/target_run.h"
#include "loadgen/core/workload.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

// Every target must answer before any load: a typo should not cost a whole
// ramp.
absl::Status CheckTargetsAnswer(const RunConfig& config) {
  for (const Target& target : config.targets) {
    Workload probe(config, target);
    if (!probe.WaitConnected(absl::Now() + absl::Seconds(3))) {
      return absl::UnavailableError(absl::StrCat(
          "cannot reach target ", target.name, " at ", target.address));
    }
  }
  return absl::OkStatus();
}

// A shard that starts late would measure other windows than its peers and
// corrupt the merge: refuse rather than run misaligned.
absl::Status WaitForStartAt(const RunConfig& config) {
  if (!config.start_at.has_value()) {
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(CheckStartAt(*config.start_at, absl::Now()));
  const absl::Duration wait = *config.start_at - absl::Now();
  if (wait > absl::ZeroDuration()) {
    std::cerr << "waiting "
              << absl::FormatDuration(
                     absl::Trunc(wait, absl::Milliseconds(100)))
              << " for --start_at " << FormatRfc3339Utc(*config.start_at)
              << std::endl;
    absl::SleepFor(wait);
  }
  return absl::OkStatus();
}

void SetConfig(const RunConfig& config, pb::Config* out) {
  for (const Target& target : config.targets) {
    pb::TargetSpec* spec = out->add_targets();
    spec->set_name(target.name);
    spec->set_address(target.address);
  }
  out->set_mode(config.mode == Mode::kClosed ? "closed" : "open");
  out->set_ramp_start(config.ramp.start);
  out->set_ramp_end(config.ramp.end);
  out->set_ramp_step(config.ramp.step);
  out->set_step_duration_s(absl::ToDoubleSeconds(config.step_duration));
  out->set_warmup_s(absl::ToDoubleSeconds(config.warmup));
  out->set_spawn_rate(config.spawn_rate);
  out->set_think_time_s(absl::ToDoubleSeconds(config.think_time));
  out->set_scenario(config.scenario.spec);
  out->set_deadline_s(absl::ToDoubleSeconds(config.deadline));
  out->set_channels(config.channels);
  out->set_max_in_flight(config.max_in_flight);
  out->set_seed(config.seed);
  out->set_slowdown_factor(config.rules.slowdown_factor);
  out->set_slowdown_floor_ms(config.rules.slowdown_floor_ms);
  out->set_error_threshold(config.rules.error_threshold);
  out->set_stop_on_errors(config.stop_on_errors);
  out->set_command(config.command);
  out->set_shard_index(config.shard_index);
  out->set_shard_count(config.shard_count);
  if (config.start_at.has_value()) {
    out->set_start_at(FormatRfc3339Utc(*config.start_at));
  }
  for (const MetricsUrl& url : config.metrics_urls) {
    pb::MetricsUrl* spec = out->add_metrics_urls();
    spec->set_target(url.target);
    spec->set_url(url.url);
  }
  for (const CpuPid& pid : config.cpu_pids) {
    pb::CpuPid* spec = out->add_cpu_pids();
    spec->set_name(pid.name);
    spec->set_pid(pid.pid);
  }
  if (config.slo.has_value()) {
    out->set_slo(config.slo->spec);
    out->set_slo_precision(config.slo_precision);
  }
  out->set_repeat(config.repeat);
  out->set_description(config.description);
}

void SetEnvironment(pb::Environment* env) {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  env->set_hostname(host);
  env->set_cpus(static_cast<int32_t>(std::thread::hardware_concurrency()));
  utsname uts;
  if (uname(&uts) == 0) {
    env->set_kernel(absl::StrCat(uts.sysname, " ", uts.release));
  }
  env->set_started_at(
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()));
  env->set_loadgen_version("asyncgrpc loadgen 1");
}

// --slo and --repeat in words, beside the detection rules.
void AddSearchRules(const RunConfig& config, pb::Results& results) {
  if (config.slo.has_value()) {
    results.add_rules(absl::StrFormat(
        "Capacity: the highest load that met the SLO %s. The ramp's first "
        "valid step that missed it and the highest that met it before bracket "
        "it; bisection then probes the middle, each probe a full step with "
        "warm-up, until the bracket is within %g%% of the load. Probes are "
        "recorded apart from the ramp's steps (capacity.probes).",
        config.slo->spec, 100 * config.slo_precision));
  }
  if (config.repeat > 1) {
    results.add_rules(absl::StrFormat(
        "Repeats: each target's whole run ran %d times, interleaved across "
        "targets. Two targets differ on a point only where its ranges over "
        "at least %d runs do not overlap; with fewer runs no such claim is "
        "made.",
        config.repeat, kRunsToCompare));
  }
}

// Ramps each target in turn, --repeat times over, interleaved (A, B, A, B)
// so that drift over the run hits every target alike.
void RunTargets(const RunConfig& config, const RunHooks& hooks,
                pb::Results& results) {
  const int steps = static_cast<int>(config.ramp.Levels().size());
  const int64_t targets = static_cast<int64_t>(config.targets.size());
  const int64_t runs = targets * config.repeat;
  for (int64_t run_index = 0; run_index < runs; ++run_index) {
    const int64_t i = run_index % targets;
    const int repeat = static_cast<int>(run_index / targets) + 1;
    const absl::Duration after =
        config.step_duration * steps * (runs - run_index - 1);
    // With --start_at each target has a fixed slot, kept even when a ramp
    // ends early, so every shard ramps the same target at the same time.
    absl::Time start = absl::Now();
    if (config.start_at.has_value()) {
      start = *config.start_at + config.step_duration * steps * i;
      if (start > absl::Now()) {
        absl::SleepFor(start - absl::Now());
      }
    }
    const Target& target = config.targets[i];
    if (config.repeat > 1) {
      std::cerr << "[" << target.name << "] repeat " << repeat << "/"
                << config.repeat << std::endl;
    }
    TargetRun run(config, target, start, after,
                  hooks.observer_for ? hooks.observer_for(target) : nullptr);
    pb::TargetResult result = run.Run();
    if (repeat == 1) {
      *results.add_targets() = result;
    }
    if (config.repeat > 1) {
      result.set_repeat(repeat);
      *results.mutable_targets(static_cast<int>(i))->add_repeats() =
          std::move(result);
    }
  }
  if (config.repeat > 1) {
    for (pb::TargetResult& target : *results.mutable_targets()) {
      *target.mutable_summary()->mutable_spread() = SpreadOf(target.repeats());
    }
    ComparePoints(results);
  }
}

}  // namespace

absl::StatusOr<pb::Results> Run(const RunConfig& config,
                                const RunHooks& hooks) {
  RETURN_IF_ERROR(CheckTargetsAnswer(config));
  // In the background: a slow hook must not delay the start.
  std::thread before_load;
  if (hooks.before_load) {
    before_load = std::thread(hooks.before_load);
  }
  absl::Cleanup join_before_load = [&before_load] {
    if (before_load.joinable()) {
      before_load.join();
    }
  };
  RETURN_IF_ERROR(WaitForStartAt(config));
  pb::Results results;
  SetConfig(config, results.mutable_config());
  SetEnvironment(results.mutable_environment());
  for (const std::string& rule :
       DescribeRules(config.rules, config.mode == Mode::kOpen)) {
    results.add_rules(rule);
  }
  AddSearchRules(config, results);
  RunTargets(config, hooks, results);
  return results;
}

}  // namespace asyncgrpc::loadgen
