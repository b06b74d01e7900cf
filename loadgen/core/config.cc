#include "loadgen/core/config.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/status_macros.h"

namespace asyncgrpc::loadgen {
namespace {

// Beyond these a ramp is a typo, not a load this machine could generate.
constexpr double kMostUsers = 100'000;
constexpr int kMostShards = 10'000;
constexpr int kMostRepeats = 100;
constexpr size_t kLongestDescription = 2000;
constexpr double kHighestRate = 1'000'000;
// Every duration flag is at most this.
constexpr absl::Duration kLongestDuration = absl::Hours(24);

absl::Status Usage(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// Every number in the ramp `spec` is at most `most` (ParseRamp judges the
// rest).
absl::Status CheckRampBound(absl::string_view flag, const std::string& spec,
                            double most) {
  for (absl::string_view part : absl::StrSplit(spec, ':')) {
    double value = 0;
    if (absl::SimpleAtod(part, &value) && std::isfinite(value) &&
        value > most) {
      return Usage(absl::StrCat(flag, " values must be at most ", most,
                                ", got \"", spec, "\""));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDuration(absl::string_view flag, absl::Duration value,
                           bool zero_allowed) {
  if (value < absl::ZeroDuration() ||
      (!zero_allowed && value == absl::ZeroDuration()) ||
      value > kLongestDuration) {
    return Usage(absl::StrCat(
        flag, " must be ", zero_allowed ? "between 0" : "above 0", " and ",
        zero_allowed ? "" : "at most ", absl::FormatDuration(kLongestDuration),
        ", got ", absl::FormatDuration(value)));
  }
  return absl::OkStatus();
}

// --target, each name once, at least one.
absl::Status SetTargets(const RunFlags& flags, RunConfig& config) {
  absl::flat_hash_set<std::string> names;
  for (const std::string& spec : flags.targets) {
    ASSIGN_OR_RETURN(Target target, ParseTarget(spec));
    if (!names.insert(target.name).second) {
      return Usage(absl::StrCat("--target: the name \"", target.name,
                                "\" is given twice"));
    }
    config.targets.push_back(std::move(target));
  }
  if (config.targets.empty()) {
    return Usage("give at least one --target NAME=HOST:PORT");
  }
  return absl::OkStatus();
}

// --users or --rate (the mode and the ramp), then --scenario.
absl::Status SetLoad(const RunFlags& flags, RunConfig& config) {
  if (flags.users.empty() == flags.rate.empty()) {
    return Usage(
        "give exactly one of --users START:END:STEP (closed loop) and --rate "
        "START:END:STEP (open loop)");
  }
  const bool open = flags.users.empty();
  config.mode = open ? Mode::kOpen : Mode::kClosed;
  if (open) {
    RETURN_IF_ERROR(CheckRampBound("--rate", flags.rate, kHighestRate));
    ASSIGN_OR_RETURN(config.ramp,
                     ParseRamp("--rate", flags.rate, /*whole=*/false));
  } else {
    RETURN_IF_ERROR(CheckRampBound("--users", flags.users, kMostUsers));
    ASSIGN_OR_RETURN(config.ramp,
                     ParseRamp("--users", flags.users, /*whole=*/true));
  }
  ASSIGN_OR_RETURN(config.scenario, ParseScenario(flags.scenario));
  return absl::OkStatus();
}

// Step length, warm-up, spawn rate, think time and deadline.
absl::Status SetTiming(const RunFlags& flags, RunConfig& config) {
  config.step_duration = flags.step_duration;
  config.warmup = flags.warmup;
  RETURN_IF_ERROR(CheckDuration("--step_duration", config.step_duration,
                                /*zero_allowed=*/false));
  if (config.warmup < absl::ZeroDuration() ||
      config.warmup >= config.step_duration) {
    return Usage(
        "--step_duration must be positive and --warmup between 0 and "
        "--step_duration");
  }
  config.spawn_rate = flags.spawn_rate;
  if (!(config.spawn_rate > 0) || config.spawn_rate > kMostUsers) {
    return Usage(
        absl::StrCat("--spawn_rate must be positive and at most ", kMostUsers));
  }
  config.think_time = flags.think_time;
  config.deadline = flags.deadline;
  RETURN_IF_ERROR(CheckDuration("--think_time", config.think_time,
                                /*zero_allowed=*/true));
  return CheckDuration("--deadline", config.deadline, /*zero_allowed=*/false);
}

// Channels, the in-flight cap, the seed and the item ids.
absl::Status SetClient(const RunFlags& flags, RunConfig& config) {
  config.channels = flags.channels;
  if (config.channels < 1 || config.channels > 256) {
    return Usage("--channels must be between 1 and 256");
  }
  config.max_in_flight = flags.max_in_flight;
  if (config.max_in_flight < 1) {
    return Usage("--max_in_flight must be positive");
  }
  config.seed = flags.seed;
  config.item_ids = flags.item_ids;
  if (config.item_ids < 1) {
    return Usage("--item_ids must be positive");
  }
  return absl::OkStatus();
}

// The detection rules and when to stop after errors.
absl::Status SetRules(const RunFlags& flags, RunConfig& config) {
  config.rules.slowdown_factor = flags.slowdown_factor;
  config.rules.slowdown_floor_ms =
      absl::ToDoubleMilliseconds(flags.slowdown_floor);
  config.rules.error_threshold = flags.error_threshold;
  config.rules.closed_loop = config.mode == Mode::kClosed;
  config.rules.think_time_s = absl::ToDoubleSeconds(config.think_time);
  if (flags.slowdown_floor < absl::ZeroDuration() ||
      flags.slowdown_floor > kLongestDuration) {
    return Usage(
        absl::StrCat("--slowdown_floor must be between 0 and 24h, got ",
                     absl::FormatDuration(flags.slowdown_floor)));
  }
  if (!(config.rules.slowdown_factor > 1) ||
      !std::isfinite(config.rules.slowdown_factor) ||
      !(config.rules.error_threshold >= 0 &&
        config.rules.error_threshold < 1)) {
    return Usage(
        "--slowdown_factor must be above 1 and --error_threshold in [0, 1)");
  }
  config.stop_on_errors = flags.stop_on_errors;
  if (config.stop_on_errors < -1) {
    return Usage(absl::StrCat(
        "--stop_on_errors must be -1 (never) or a number of steps, got ",
        config.stop_on_errors));
  }
  return absl::OkStatus();
}

// --shard_index/--shard_count and --start_at.
absl::Status SetDistribution(const RunFlags& flags, absl::Time now,
                             RunConfig& config) {
  config.shard_count = flags.shard_count;
  config.shard_index = flags.shard_index;
  if (config.shard_count < 1 || config.shard_count > kMostShards) {
    return Usage(absl::StrCat("--shard_count must be between 1 and ",
                              kMostShards, ", got ", config.shard_count));
  }
  if (config.shard_index < 0 || config.shard_index >= config.shard_count) {
    return Usage(
        absl::StrCat("--shard_index must be between 0 and --shard_count - 1 (",
                     config.shard_count - 1, "), got ", config.shard_index));
  }
  if (!flags.start_at.empty()) {
    ASSIGN_OR_RETURN(const absl::Time start_at, ParseStartAt(flags.start_at));
    if (absl::Status late = CheckStartAt(start_at, now); !late.ok()) {
      return Usage(late.message());
    }
    config.start_at = start_at;
  }
  return absl::OkStatus();
}

// --metrics_url, each naming a --target.
absl::Status SetMetricsUrls(const RunFlags& flags, RunConfig& config) {
  for (const std::string& spec : flags.metrics_urls) {
    ASSIGN_OR_RETURN(MetricsUrl url, ParseMetricsUrl(spec));
    const bool named = std::any_of(
        config.targets.begin(), config.targets.end(),
        [&](const Target& target) { return target.name == url.target; });
    if (!named) {
      return Usage(absl::StrCat("--metrics_url: no --target is named \"",
                                url.target, "\" (in \"", spec, "\")"));
    }
    config.metrics_urls.push_back(std::move(url));
  }
  return absl::OkStatus();
}

// Whether `name` is a key of a step's processes other than a target's.
bool IsProcessKey(absl::string_view name) {
  return name == kDbProcessName || name == kLoadgenProcessName;
}

// --cpu_pid, each naming a --target or the database, and a live process.
absl::Status SetCpuPids(const RunFlags& flags, RunConfig& config) {
  absl::flat_hash_set<std::string> names;
  for (const std::string& spec : flags.cpu_pids) {
    ASSIGN_OR_RETURN(CpuPid pid, ParseCpuPid(spec));
    const bool is_target = std::any_of(
        config.targets.begin(), config.targets.end(),
        [&](const Target& target) { return target.name == pid.name; });
    if (!is_target && pid.name != kDbProcessName) {
      return Usage(absl::StrCat("--cpu_pid: \"", pid.name,
                                "\" is neither a --target's name nor \"db\""));
    }
    if (!names.insert(pid.name).second) {
      return Usage(absl::StrCat("--cpu_pid: \"", pid.name, "\" given twice"));
    }
    if (access(absl::StrCat("/proc/", pid.pid, "/stat").c_str(), R_OK) != 0) {
      return Usage(absl::StrCat("--cpu_pid ", spec, ": no process ", pid.pid,
                                " on this machine"));
    }
    config.cpu_pids.push_back(std::move(pid));
  }
  for (const Target& target : config.targets) {
    if (!config.cpu_pids.empty() && IsProcessKey(target.name)) {
      return Usage(absl::StrCat("--cpu_pid: a --target named \"", target.name,
                                "\" would be mistaken for that process"));
    }
  }
  return absl::OkStatus();
}

// --slo, --slo_precision and --repeat, which a distributed run cannot follow.
absl::Status SetSearch(const RunFlags& flags, RunConfig& config) {
  if (!flags.slo.empty()) {
    ASSIGN_OR_RETURN(config.slo, ParseSlo(flags.slo));
  }
  ASSIGN_OR_RETURN(config.slo_precision,
                   ParseSloPrecision(flags.slo_precision));
  config.repeat = flags.repeat;
  if (config.repeat < 1 || config.repeat > kMostRepeats) {
    return Usage(absl::StrCat("--repeat must be between 1 and ", kMostRepeats,
                              ", got ", config.repeat));
  }
  const bool searches = config.slo.has_value() || config.repeat > 1;
  if (searches && (config.shard_count > 1 || config.start_at.has_value())) {
    // Each shard would judge its own share of the load and leave the fixed
    // time slots of --start_at after the first probe.
    return Usage(
        "--slo and --repeat cannot be combined with --shard_count above 1 or "
        "--start_at: a distributed run follows a fixed plan");
  }
  return absl::OkStatus();
}

// --description is printed as one line ("run: ...") and titles the report.
absl::Status SetDescription(const RunFlags& flags, RunConfig& config) {
  if (flags.description.size() > kLongestDescription) {
    return Usage(absl::StrCat("--description must be at most ",
                              kLongestDescription, " characters, got ",
                              flags.description.size()));
  }
  for (const char c : flags.description) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Usage(
          "--description must be one line of text (no control "
          "characters)");
    }
  }
  config.description = flags.description;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RunConfig> MakeRunConfig(const RunFlags& flags, absl::Time now) {
  RunConfig config;
  RETURN_IF_ERROR(SetTargets(flags, config));
  RETURN_IF_ERROR(SetLoad(flags, config));
  RETURN_IF_ERROR(SetTiming(flags, config));
  RETURN_IF_ERROR(SetClient(flags, config));
  RETURN_IF_ERROR(SetRules(flags, config));
  config.out_dir = flags.out;
  if (config.out_dir.empty()) {
    config.out_dir = absl::StrCat(
        "results/loadgen-",
        absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone()));
  }
  config.tls_server_name = flags.tls_server_name;
  if (!config.tls_server_name.empty() && !flags.tls_ca_given) {
    return Usage("--tls_server_name needs --tls_ca");
  }
  RETURN_IF_ERROR(SetDistribution(flags, now, config));
  RETURN_IF_ERROR(SetMetricsUrls(flags, config));
  RETURN_IF_ERROR(SetCpuPids(flags, config));
  RETURN_IF_ERROR(SetSearch(flags, config));
  config.command = flags.command;
  RETURN_IF_ERROR(SetDescription(flags, config));
  return config;
}

}  // namespace asyncgrpc::loadgen
