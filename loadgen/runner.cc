#include "loadgen/runner.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <iostream>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "loadgen/detection.h"
#include "loadgen/histogram.h"
#include "loadgen/open_loop_schedule.h"
#include "loadgen/random.h"
#include "loadgen/recorder.h"
#include "loadgen/scheduler.h"
#include "loadgen/workload.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

// A step is invalid when loadgen sent less than this share of the planned calls
// (without the in-flight cap being the reason)...
constexpr double kMinAchievedShare = 0.95;
// ...or used this share of all the machine's cores itself.
constexpr double kMaxCpuShare = 0.9;

double Ms(int64_t micros) { return static_cast<double>(micros) / 1000.0; }

absl::Duration CpuTime() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return absl::DurationFromTimeval(usage.ru_utime) +
         absl::DurationFromTimeval(usage.ru_stime);
}

// The name of a gRPC status code ("UNAVAILABLE"): gRPC and absl share the
// numbering.
std::string StatusName(grpc::StatusCode code) {
  std::string name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? absl::StrCat("CODE_", static_cast<int>(code)) : name;
}

void FillLatency(const Histogram& h, pb::Latency* out) {
  out->set_p50_ms(Ms(h.ValueAtPercentile(50)));
  out->set_p90_ms(Ms(h.ValueAtPercentile(90)));
  out->set_p95_ms(Ms(h.ValueAtPercentile(95)));
  out->set_p99_ms(Ms(h.ValueAtPercentile(99)));
  out->set_p999_ms(Ms(h.ValueAtPercentile(99.9)));
  out->set_max_ms(Ms(h.max()));
  out->set_mean_ms(h.Mean() / 1000.0);
}

// Drives one target through the ramp.
class TargetRun {
 public:
  TargetRun(const RunConfig& config, const Target& target,
            absl::Duration time_after)
      : config_(config),
        target_(target),
        time_after_(time_after),
        workload_(config, target),
        recorder_(run_start_),
        user_iterations_(config.mode == Mode::kClosed
                             ? static_cast<size_t>(config.ramp.end) + 1
                             : 0) {}

  pb::TargetResult Run();

 private:
  void StartUsers(int users, absl::Time step_start);
  void Iterate(int user);
  void SendOpenLoop(double rate, absl::Time start, absl::Time end);
  void WaitWithProgress(absl::Time until, int step, int steps, double level);
  pb::Step MakeStep(int index, double level, absl::Time start,
                    absl::Duration measured, StepTotals totals,
                    absl::Duration cpu);

  const RunConfig& config_;
  const Target& target_;
  // Time the targets after this one will take, for the progress line.
  const absl::Duration time_after_;
  const absl::Time run_start_ = absl::Now();
  Workload workload_;
  Recorder recorder_;
  Scheduler scheduler_;
  std::atomic<int> active_users_{0};
  std::atomic<bool> stopping_{false};
  // Open loop: the in-flight cap held a send back during the current step.
  std::atomic<bool> capped_{false};
  std::vector<uint32_t> user_iterations_;
  absl::Time run_end_estimate_;
};

void TargetRun::StartUsers(int users, absl::Time step_start) {
  const int before = active_users_.exchange(users);
  for (int user = before; user < users; ++user) {
    const absl::Duration offset =
        absl::Seconds((user - before + 1) / config_.spawn_rate);
    scheduler_.At(step_start + offset, [this, user] { Iterate(user); });
  }
}

void TargetRun::Iterate(int user) {
  if (stopping_.load() || user >= active_users_.load()) {
    return;
  }
  const absl::Time start = absl::Now();
  // The same seed for every target: each user makes the same sequence of
  // requests everywhere. One iteration per user at a time, so its counter needs
  // no atomics.
  const uint64_t key =
      MixKey(config_.seed,
             (static_cast<uint64_t>(user) << 32) + user_iterations_[user]++);
  workload_.Start(key, [this, user, start](grpc::StatusCode code) {
    const absl::Time done = absl::Now();
    recorder_.Record(done, done - start, done - start, code);
    if (config_.think_time > absl::ZeroDuration()) {
      scheduler_.At(done + config_.think_time, [this, user] { Iterate(user); });
    } else {
      // Through the scheduler too, so a failing target cannot recurse on one
      // thread.
      scheduler_.At(done, [this, user] { Iterate(user); });
    }
  });
}

void TargetRun::SendOpenLoop(double rate, absl::Time start, absl::Time end) {
  const OpenLoopSchedule schedule(start, end, rate);
  const int64_t sends = schedule.Count();
  for (int64_t k = 0; k < sends && !stopping_.load(); ++k) {
    const absl::Time intended = schedule.At(k);
    const absl::Duration wait = intended - absl::Now();
    if (wait > absl::ZeroDuration()) {
      absl::SleepFor(wait);
    }
    // At the cap (like wrk2's fixed connections) the send waits for a reply: it
    // goes out late, and the latency measured from its planned time shows what
    // the stall cost.
    while (workload_.InFlight() >= config_.max_in_flight && !stopping_.load()) {
      capped_ = true;
      absl::SleepFor(absl::Microseconds(100));
    }
    recorder_.RecordSend();
    const absl::Time sent = absl::Now();
    const uint64_t key = MixKey(config_.seed, static_cast<uint64_t>(k));
    workload_.Start(key, [this, intended, sent](grpc::StatusCode code) {
      const absl::Time done = absl::Now();
      recorder_.Record(done, done - intended, done - sent, code);
    });
  }
}

void TargetRun::WaitWithProgress(absl::Time until, int step, int steps,
                                 double level) {
  const bool tty = isatty(STDERR_FILENO);
  while (absl::Now() < until) {
    absl::SleepFor(std::min(absl::Seconds(1), until - absl::Now()));
    const std::vector<SecondTotals> timeline = recorder_.Timeline();
    // The last complete second.
    const SecondTotals* last =
        timeline.size() >= 2 ? &timeline[timeline.size() - 2] : nullptr;
    int64_t errors = 0;
    for (const SecondTotals& second : timeline) {
      if (second.step == step) {
        errors += second.failures;
      }
    }
    const absl::Duration left =
        std::max(run_end_estimate_ - absl::Now(), absl::ZeroDuration()) +
        time_after_;
    const std::string line = absl::StrFormat(
        "[%s] step %d/%d %s %g  rps %.0f  p99 %.1f ms  errors %d  left %s",
        target_.name, step + 1, steps,
        config_.mode == Mode::kClosed ? "users" : "rate", level,
        last != nullptr ? static_cast<double>(last->requests) : 0.0,
        last != nullptr ? Ms(last->latency.ValueAtPercentile(99)) : 0.0, errors,
        absl::FormatDuration(absl::Trunc(left, absl::Seconds(1))));
    if (tty) {
      std::cerr << "\r\033[K" << line << std::flush;
    } else if (absl::Now() >= until) {
      std::cerr << line << std::endl;
    }
  }
  if (tty) {
    std::cerr << std::endl;
  }
}

pb::Step TargetRun::MakeStep(int index, double level, absl::Time start,
                             absl::Duration measured, StepTotals totals,
                             absl::Duration cpu) {
  pb::Step step;
  step.set_index(index);
  if (config_.mode == Mode::kClosed) {
    step.set_users(static_cast<int32_t>(level));
  } else {
    step.set_rate(level);
  }
  const double seconds = absl::ToDoubleSeconds(measured);
  step.set_start_s(absl::ToDoubleSeconds(start - run_start_));
  step.set_duration_s(seconds);
  step.set_requests(totals.requests);
  step.set_ok(totals.ok);
  step.set_rps(totals.requests / seconds);
  pb::Latency latency;
  FillLatency(totals.latency, &latency);
  step.set_p50_ms(latency.p50_ms());
  step.set_p90_ms(latency.p90_ms());
  step.set_p95_ms(latency.p95_ms());
  step.set_p99_ms(latency.p99_ms());
  step.set_p999_ms(latency.p999_ms());
  step.set_max_ms(latency.max_ms());
  int64_t failed = 0;
  for (const auto& [code, count] : totals.errors) {
    (*step.mutable_errors())[StatusName(code)] = count;
    failed += count;
  }
  step.set_error_ratio(totals.requests > 0
                           ? static_cast<double>(failed) / totals.requests
                           : 0.0);
  const double cores = absl::ToDoubleSeconds(cpu) / seconds;
  step.set_loadgen_cpu_cores(cores);
  std::string invalid;
  if (config_.mode == Mode::kOpen) {
    step.set_achieved_rate(totals.sent / seconds);
    FillLatency(totals.uncorrected, step.mutable_uncorrected());
    if (step.achieved_rate() < kMinAchievedShare * level && !capped_) {
      invalid = absl::StrFormat(
          "loadgen could not keep up: sent %.0f of the planned %.0f calls/s",
          step.achieved_rate(), level);
    }
  }
  const int cpus = static_cast<int>(std::thread::hardware_concurrency());
  if (invalid.empty() && cores >= kMaxCpuShare * cpus) {
    invalid = absl::StrFormat("loadgen used %.2f of %d cores", cores, cpus);
  }
  step.set_valid(invalid.empty());
  step.set_invalid_reason(invalid);
  totals.latency.ToProto(step.mutable_histogram());
  return step;
}

pb::TargetResult TargetRun::Run() {
  pb::TargetResult result;
  result.set_name(target_.name);
  result.set_address(target_.address);
  const std::vector<double> levels = config_.ramp.Levels();
  const int steps = static_cast<int>(levels.size());
  std::vector<StepPoint> points;
  run_end_estimate_ = absl::Now() + config_.step_duration * steps;
  for (int index = 0; index < steps; ++index) {
    const double level = levels[index];
    const absl::Time start = absl::Now();
    const absl::Time measure_from = start + config_.warmup;
    const absl::Time end = start + config_.step_duration;
    recorder_.BeginStep(index);
    capped_ = false;
    std::thread sender;
    if (config_.mode == Mode::kClosed) {
      StartUsers(static_cast<int>(level), start);
    } else {
      sender = std::thread(
          [this, level, start, end] { SendOpenLoop(level, start, end); });
    }
    WaitWithProgress(measure_from, index, steps, level);
    recorder_.StartMeasuring();
    const absl::Duration cpu_before = CpuTime();
    const absl::Time measured_start = absl::Now();
    WaitWithProgress(end, index, steps, level);
    StepTotals totals = recorder_.EndStep();
    const absl::Duration measured = absl::Now() - measured_start;
    const absl::Duration cpu = CpuTime() - cpu_before;
    if (sender.joinable()) {
      sender.join();
    }
    pb::Step* step = result.add_steps();
    *step = MakeStep(index, level, start, measured, std::move(totals), cpu);
    points.push_back({.load = level,
                      .p95_ms = step->p95_ms(),
                      .rps = step->rps(),
                      .error_ratio = step->error_ratio(),
                      .requests = step->requests(),
                      .valid = step->valid()});
    // A target that went away: everything failed UNAVAILABLE and the channel
    // says so.
    const auto unavailable = step->errors().find("UNAVAILABLE");
    if (step->requests() > 0 && unavailable != step->errors().end() &&
        unavailable->second == step->requests() && !workload_.Reachable()) {
      result.set_note(absl::StrCat(
          "target became unreachable during step ", index + 1,
          " (every call failed UNAVAILABLE); the run for this target ended"));
      break;
    }
    if (ShouldStop(points, config_.rules, config_.stop_on_errors)) {
      result.set_note(
          absl::StrCat("stopped ", config_.stop_on_errors,
                       " step(s) after error onset (--stop_on_errors)"));
      break;
    }
  }
  stopping_ = true;
  // No Iterate may still be running when the calls are drained: one that had
  // passed its stopping_ check could otherwise start a call after Drain saw
  // none in flight, and touch this run after it is gone.
  scheduler_.Stop();
  workload_.Drain(absl::Now() + config_.deadline * 2 + absl::Seconds(1));

  const Detection detection = Detect(points, config_.rules);
  pb::Summary* summary = result.mutable_summary();
  summary->set_max_rps(detection.max_rps);
  summary->set_baseline_p95_ms(detection.baseline_p95_ms);
  auto mark = [&](const std::optional<int>& step, auto set_at, auto set_step) {
    if (step.has_value()) {
      (summary->*set_at)(points[*step].load);
      (summary->*set_step)(*step);
    }
  };
  mark(detection.slowdown_step, &pb::Summary::set_slowdown_at,
       &pb::Summary::set_slowdown_step);
  mark(detection.errors_step, &pb::Summary::set_errors_at,
       &pb::Summary::set_errors_step);
  mark(detection.saturation_step, &pb::Summary::set_saturation_at,
       &pb::Summary::set_saturation_step);

  for (size_t second = 0; const SecondTotals& totals : recorder_.Timeline()) {
    pb::TimelinePoint* point = result.add_timeline();
    point->set_t_s(static_cast<double>(second++));
    point->set_step(totals.step);
    point->set_rps(static_cast<double>(totals.requests));
    point->set_failures_per_s(static_cast<double>(totals.failures));
    point->set_p50_ms(Ms(totals.latency.ValueAtPercentile(50)));
    point->set_p95_ms(Ms(totals.latency.ValueAtPercentile(95)));
    point->set_p99_ms(Ms(totals.latency.ValueAtPercentile(99)));
  }
  return result;
}

std::string Now8601() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(),
                          absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<pb::Results> Run(const RunConfig& config) {
  // Every target must answer before any load: a typo should not cost a whole
  // ramp.
  for (const Target& target : config.targets) {
    Workload probe(config, target);
    if (!probe.WaitConnected(absl::Now() + absl::Seconds(3))) {
      return absl::UnavailableError(absl::StrCat(
          "cannot reach target ", target.name, " at ", target.address));
    }
  }
  pb::Results results;
  pb::Config* out = results.mutable_config();
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
  out->set_error_threshold(config.rules.error_threshold);
  out->set_stop_on_errors(config.stop_on_errors);
  out->set_command(config.command);

  pb::Environment* env = results.mutable_environment();
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  env->set_hostname(host);
  env->set_cpus(static_cast<int32_t>(std::thread::hardware_concurrency()));
  utsname uts;
  if (uname(&uts) == 0) {
    env->set_kernel(absl::StrCat(uts.sysname, " ", uts.release));
  }
  env->set_started_at(Now8601());
  env->set_loadgen_version("asyncgrpc loadgen 1");

  for (const std::string& rule :
       DescribeRules(config.rules, config.mode == Mode::kOpen)) {
    results.add_rules(rule);
  }
  const int steps = static_cast<int>(config.ramp.Levels().size());
  for (size_t i = 0; i < config.targets.size(); ++i) {
    const absl::Duration after =
        config.step_duration * steps *
        static_cast<int64_t>(config.targets.size() - i - 1);
    TargetRun run(config, config.targets[i], after);
    *results.add_targets() = run.Run();
  }
  return results;
}

}  // namespace asyncgrpc::loadgen
