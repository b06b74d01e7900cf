// One target's ramp: each step's load (closed loop: virtual users with think
// time, like Locust; open loop: arrivals at planned times, latency measured
// from the planned time, corrected for coordinated omission), the progress
// line, and the step's results from what the Recorder saw. Run (runner.h)
// drives one TargetRun per target.
//
//   TargetRun run(config, config.targets[0], absl::Now(),
//                 /*time_after=*/absl::ZeroDuration(), /*observer=*/nullptr);
//   ::loadgen::v1::TargetResult result = run.Run();
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "loadgen/core/config.h"
#include "loadgen/core/detection.h"
#include "loadgen/core/recorder.h"
#include "loadgen/core/scheduler.h"
#include "loadgen/core/step_observer.h"
#include "loadgen/core/workload.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

// With --start_at the ramp runs on a fixed plan from `start`: step k begins at
// start + k * step_duration, so the shards of a distributed run measure the
// same windows.
class TargetRun {
 public:
  // `time_after`: what the targets after this one will take, for the progress
  // line. `observer` may be null.
  TargetRun(const RunConfig& config, const Target& target, absl::Time start,
            absl::Duration time_after, std::unique_ptr<StepObserver> observer);

  // Runs the ramp (until its end, error onset + --stop_on_errors, or the
  // target going away) and returns what it measured.
  ::loadgen::v1::TargetResult Run();

 private:
  // Runs step `index` at `level` and adds it to `result`; false when the ramp
  // ends here.
  bool RunStep(int index, double level, int steps,
               ::loadgen::v1::TargetResult& result,
               std::vector<StepPoint>& points);
  // One full step (warm-up, measured window) at `level`, judged against the
  // SLO if any; `label` names it on the progress line ("step 3/10").
  ::loadgen::v1::Step MeasureStep(int index, double level,
                                  const std::string& label);
  // --slo: bisects between the ramp's last step that met the SLO and its first
  // that missed it; the probes go into result.capacity, never its steps.
  void SearchCapacity(::loadgen::v1::TargetResult& result);
  // After the last step: the calls drained, the observer's figures, the
  // summary and the timeline.
  void Finish(::loadgen::v1::TargetResult& result);
  // Closed loop: makes `level` (the whole run's) the active users, retiring
  // any above it; returns how many were active before.
  int SetUsers(int level);
  // Starts the users from `before` up to the active count.
  void StartUsers(int level, int before, absl::Time step_start);
  void Iterate(int user, uint32_t generation);
  void SendOpenLoop(double rate, absl::Time start, absl::Time end);
  void WaitWithProgress(absl::Time until, int step, const std::string& label,
                        double level);
  ::loadgen::v1::Step MakeStep(int index, double level, absl::Time start,
                               absl::Duration measured, StepTotals totals,
                               absl::Duration cpu);
  void AddTimeline(::loadgen::v1::TargetResult& result) const;

  const RunConfig& config_;
  const Target& target_;
  const absl::Duration time_after_;
  const absl::Time run_start_;
  const bool planned_;
  Workload workload_;
  Recorder recorder_;
  const std::unique_ptr<StepObserver> observer_;
  Scheduler scheduler_;
  // Closed loop: the whole run's users in the previous step.
  int previous_level_ = 0;
  std::atomic<int> active_users_{0};
  std::atomic<bool> stopping_{false};
  // Open loop: the in-flight cap held a send back during the current step.
  std::atomic<bool> capped_{false};
  // Closed loop: one per user. A loop runs while its generation is the
  // user's; lowering a user bumps it. `iterations` is touched by the user's
  // one loop only.
  struct UserLoop {
    uint32_t iterations = 0;
    std::atomic<uint32_t> generation{0};
    std::atomic<bool> running{false};
  };
  std::vector<UserLoop> users_;
  // The target went away during the ramp: no capacity search.
  bool gone_ = false;
  absl::Time run_end_estimate_;
};

}  // namespace asyncgrpc::loadgen
