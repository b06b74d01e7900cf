#include "loadgen/core/target_run.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "loadgen/core/capacity.h"
#include "loadgen/core/histogram.h"
#include "loadgen/core/open_loop_schedule.h"
#include "loadgen/core/random.h"
#include "loadgen/core/shard.h"
#include "loadgen/core/slo.h"
#include "loadgen/core/summary.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

// A step is invalid when loadgen sent less than this share of the planned calls
// (without the in-flight cap being the reason)...
constexpr double kMinAchievedShare = 0.95;
// ...or used this share of all the machine's cores itself.
constexpr double kMaxCpuShare = 0.9;

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

// This shard's share of a step's load: users (closed loop) or calls/s.
double ShardLoad(const RunConfig& config, double level) {
  return config.mode == Mode::kClosed
             ? ShardUsers(static_cast<int>(level), config.shard_index,
                          config.shard_count)
             : ShardRate(level, config.shard_count);
}

// A target that went away: every call of the step failed UNAVAILABLE and the
// channel says so.
bool WentAway(const pb::Step& step, Workload& workload) {
  const auto unavailable = step.errors().find("UNAVAILABLE");
  return step.requests() > 0 && unavailable != step.errors().end() &&
         unavailable->second == step.requests() && !workload.Reachable();
}

// Sets whether a valid step met the SLO and, if not, why.
void JudgeSlo(const Slo& slo, pb::Step& step) {
  if (!step.valid()) {
    return;
  }
  std::string miss = SloMiss(slo, step);
  step.set_slo_met(miss.empty());
  step.set_slo_miss(std::move(miss));
}

Judgement JudgementOf(const pb::Step& step, bool open_loop) {
  return {.load = open_loop ? step.rate() : step.users(),
          .valid = step.valid(),
          .met = step.slo_met()};
}

}  // namespace

TargetRun::TargetRun(const RunConfig& config, const Target& target,
                     absl::Time start, absl::Duration time_after,
                     std::unique_ptr<StepObserver> observer)
    : config_(config),
      target_(target),
      time_after_(time_after),
      run_start_(start),
      planned_(config.start_at.has_value()),
      workload_(config, target),
      recorder_(run_start_),
      observer_(std::move(observer)),
      users_(config.mode == Mode::kClosed
                 ? static_cast<size_t>(config.ramp.end) + 1
                 : 0) {}

int TargetRun::SetUsers(int level) {
  const int users = ShardUsers(level, config_.shard_index, config_.shard_count);
  const int before = active_users_.exchange(users);
  // Fewer users: each lowered user's loop ends at its next iteration, its
  // queued one dropped.
  for (int user = users; user < before; ++user) {
    ++users_[user].generation;
  }
  // More: a user lowered before must have left its loop before it starts
  // again, or it would run two. Its next iteration comes within a think time
  // or when its call ends, by the deadline.
  const absl::Time limit =
      absl::Now() + config_.think_time + config_.deadline + absl::Seconds(1);
  for (int user = before; user < users; ++user) {
    while (users_[user].running.load() && absl::Now() < limit) {
      absl::SleepFor(absl::Milliseconds(1));
    }
  }
  return before;
}

void TargetRun::StartUsers(int level, int before, absl::Time step_start) {
  const int users = active_users_.load();
  for (int user = before; user < users; ++user) {
    UserLoop& loop = users_[user];
    if (loop.running.exchange(true)) {
      continue;  // Still in its old loop after SetUsers' wait: never two.
    }
    const uint32_t generation = loop.generation.load();
    // Each user starts when it would in the whole run (the spawn rate is the
    // whole run's), so the shards together start users as one process would.
    const int64_t id =
        ShardUserId(user, config_.shard_index, config_.shard_count);
    const absl::Duration offset = absl::Seconds(
        static_cast<double>(id - previous_level_ + 1) / config_.spawn_rate);
    scheduler_.At(step_start + offset,
                  [this, user, generation] { Iterate(user, generation); });
  }
  previous_level_ = level;
}

void TargetRun::Iterate(int user, uint32_t generation) {
  UserLoop& loop = users_[user];
  if (stopping_.load() || generation != loop.generation.load()) {
    loop.running = false;
    return;
  }
  const absl::Time start = absl::Now();
  // The same seed for every target: each user makes the same sequence of
  // requests everywhere; a shard's users are numbered as in the whole run, so
  // the shards' streams are disjoint and together the whole run's. One
  // iteration per user at a time, so its counter needs no atomics.
  const uint64_t id = static_cast<uint64_t>(
      ShardUserId(user, config_.shard_index, config_.shard_count));
  const uint64_t key = MixKey(config_.seed, (id << 32) + loop.iterations++);
  workload_.Start(key, [this, user, generation, start](grpc::StatusCode code) {
    const absl::Time done = absl::Now();
    recorder_.Record(done, done - start, done - start, code);
    if (config_.think_time > absl::ZeroDuration()) {
      scheduler_.At(done + config_.think_time,
                    [this, user, generation] { Iterate(user, generation); });
    } else if (code == grpc::StatusCode::OK) {
      // The next call starts right here, on the gRPC thread that saw the reply:
      // a hop through the scheduler thread cost a wake-up per call. A reply
      // only comes after a round trip, so this cannot recurse. (The drain is
      // safe too: this iteration still counts as in flight until we return.)
      Iterate(user, generation);
    } else {
      // A failure can be reported inline, as the call starts: through the
      // scheduler, so a failing target cannot recurse on one thread.
      scheduler_.At(done,
                    [this, user, generation] { Iterate(user, generation); });
    }
  });
}

void TargetRun::SendOpenLoop(double rate, absl::Time start, absl::Time end) {
  // The whole run's schedule: this shard sends its arrivals shard_index,
  // shard_index + shard_count, ... (keyed as in the whole run), so the shards
  // together send exactly the whole run's calls at the whole run's times.
  const OpenLoopSchedule schedule(start, end, rate);
  const int64_t sends = schedule.Count();
  for (int64_t k = config_.shard_index; k < sends && !stopping_.load();
       k += config_.shard_count) {
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

void TargetRun::WaitWithProgress(absl::Time until, int step,
                                 const std::string& label, double level) {
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
        "[%s] %s %s %g  rps %.0f  p99 %.1f ms  errors %d  left %s",
        target_.name, label, config_.mode == Mode::kClosed ? "users" : "rate",
        level, last != nullptr ? static_cast<double>(last->requests) : 0.0,
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
  // This shard's share of the step's load (all of it in a whole run).
  level = ShardLoad(config_, level);
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
  SetStepLatency(totals.latency, &step);
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
    totals.uncorrected.ToProto(step.mutable_uncorrected_histogram());
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

pb::Step TargetRun::MeasureStep(int index, double level,
                                const std::string& label) {
  absl::Time start = absl::Now();
  if (planned_) {
    const absl::Time planned = run_start_ + config_.step_duration * index;
    if (planned > start) {
      absl::SleepFor(planned - start);
    }
    start = planned;
  }
  const int users_before =
      config_.mode == Mode::kClosed ? SetUsers(static_cast<int>(level)) : 0;
  if (!planned_) {
    start = absl::Now();  // After any wait for lowered users to retire.
  }
  const absl::Time end = start + config_.step_duration;
  recorder_.BeginStep(index);
  capped_ = false;
  std::thread sender;
  if (config_.mode == Mode::kClosed) {
    StartUsers(static_cast<int>(level), users_before, start);
  } else {
    sender = std::thread(
        [this, level, start, end] { SendOpenLoop(level, start, end); });
  }
  WaitWithProgress(start + config_.warmup, index, label, level);
  recorder_.StartMeasuring();
  if (observer_ != nullptr) {
    observer_->WindowStart(index);
  }
  const absl::Duration cpu_before = CpuTime();
  const absl::Time measured_start = absl::Now();
  WaitWithProgress(end, index, label, level);
  StepTotals totals = recorder_.EndStep();
  if (observer_ != nullptr) {
    observer_->WindowEnd(index);
  }
  const absl::Duration measured = absl::Now() - measured_start;
  const absl::Duration cpu = CpuTime() - cpu_before;
  if (sender.joinable()) {
    sender.join();
  }
  pb::Step step =
      MakeStep(index, level, start, measured, std::move(totals), cpu);
  if (config_.slo.has_value()) {
    JudgeSlo(*config_.slo, step);
  }
  return step;
}

bool TargetRun::RunStep(int index, double level, int steps,
                        pb::TargetResult& result,
                        std::vector<StepPoint>& points) {
  const pb::Step& step = *result.add_steps() = MeasureStep(
      index, level, absl::StrFormat("step %d/%d", index + 1, steps));
  points.push_back(PointOf(step, config_.mode == Mode::kOpen));
  if (WentAway(step, workload_)) {
    gone_ = true;
    result.set_note(absl::StrCat(
        "target became unreachable during step ", index + 1,
        " (every call failed UNAVAILABLE); the run for this target ended"));
    return false;
  }
  if (ShouldStop(points, config_.rules, config_.stop_on_errors)) {
    result.set_note(
        absl::StrCat("stopped ", config_.stop_on_errors,
                     " step(s) after error onset (--stop_on_errors)"));
    return false;
  }
  return true;
}

void TargetRun::SearchCapacity(pb::TargetResult& result) {
  const bool open = config_.mode == Mode::kOpen;
  std::vector<Judgement> ramp;
  for (const pb::Step& step : result.steps()) {
    ramp.push_back(JudgementOf(step, open));
  }
  pb::Capacity& capacity = *result.mutable_capacity();
  int index = result.steps_size();
  const CapacityResult found = FindCapacity(
      ramp, {.precision = config_.slo_precision, .whole_loads = !open},
      [&](double load) {
        const std::string label =
            absl::StrCat("probe ", capacity.probes_size() + 1);
        if (open) {
          // The step before may have left a backlog (it is often past
          // capacity): its calls would end inside this probe and be judged
          // as its own. Each ends by its deadline at the latest.
          workload_.Drain(absl::Now() + config_.deadline + absl::Seconds(1));
        }
        return JudgementOf(
            *capacity.add_probes() = MeasureStep(index++, load, label), open);
      });
  capacity.set_status(CapacityStatusName(found.status));
  if (found.met_at.has_value()) {
    capacity.set_met_at(*found.met_at);
  }
  if (found.missed_at.has_value()) {
    capacity.set_missed_at(*found.missed_at);
  }
  capacity.set_statement(DescribeCapacity(found, open ? "calls/s" : "users",
                                          config_.slo_precision));
}

pb::TargetResult TargetRun::Run() {
  pb::TargetResult result;
  result.set_name(target_.name);
  result.set_address(target_.address);
  const std::vector<double> levels = config_.ramp.Levels();
  const int steps = static_cast<int>(levels.size());
  std::vector<StepPoint> points;
  run_end_estimate_ =
      std::max(absl::Now(), run_start_) + config_.step_duration * steps;
  for (int index = 0; index < steps; ++index) {
    if (!RunStep(index, levels[index], steps, result, points)) {
      break;
    }
  }
  if (config_.slo.has_value() && !gone_) {
    SearchCapacity(result);
  }
  Finish(result);
  return result;
}

void TargetRun::Finish(pb::TargetResult& result) {
  stopping_ = true;
  // No Iterate may still be running when the calls are drained: one that had
  // passed its stopping_ check could otherwise start a call after Drain saw
  // none in flight, and touch this run after it is gone.
  scheduler_.Stop();
  workload_.Drain(absl::Now() + config_.deadline * 2 + absl::Seconds(1));
  if (observer_ != nullptr) {
    for (pb::Step& step : *result.mutable_steps()) {
      observer_->AddTo(&step);
    }
    for (pb::Step& probe : *result.mutable_capacity()->mutable_probes()) {
      observer_->AddTo(&probe);
    }
  }
  Summarize(config_.rules, config_.mode == Mode::kOpen, &result);
  AddTimeline(result);
}

void TargetRun::AddTimeline(pb::TargetResult& result) const {
  for (size_t second = 0; const SecondTotals& totals : recorder_.Timeline()) {
    pb::TimelinePoint* point = result.add_timeline();
    point->set_t_s(static_cast<double>(second++));
    point->set_step(totals.step);
    point->set_rps(static_cast<double>(totals.requests));
    point->set_failures_per_s(static_cast<double>(totals.failures));
    point->set_p50_ms(Ms(totals.latency.ValueAtPercentile(50)));
    point->set_p95_ms(Ms(totals.latency.ValueAtPercentile(95)));
    point->set_p99_ms(Ms(totals.latency.ValueAtPercentile(99)));
    if (config_.shard_count > 1) {
      // For `loadgen merge` to recompute the merged run's percentiles.
      totals.latency.ToProto(point->mutable_histogram());
    }
  }
}

}  // namespace asyncgrpc::loadgen
