// Collects the outcome of every request of one target's run, thread-safely: per
// ramp step (only inside the measured window, after warm-up) and per second of
// the run (always). A request counts in the step and the second in which it
// completes, as Locust counts.
//
//   Recorder recorder(absl::Now());
//   recorder.BeginStep(0);  ...  recorder.StartMeasuring();  ...
//   StepTotals totals = recorder.EndStep();
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "loadgen/core/histogram.h"

namespace asyncgrpc::loadgen {

struct StepTotals {
  // Latency from the intended start (open loop) or the actual start (closed
  // loop).
  Histogram latency;
  // Open loop only: latency from the actual send.
  Histogram uncorrected;
  int64_t requests = 0;
  int64_t ok = 0;
  std::map<grpc::StatusCode, int64_t> errors;
  // Open loop: requests actually sent in the measured window.
  int64_t sent = 0;
};

struct SecondTotals {
  int step = 0;
  int64_t requests = 0;
  int64_t failures = 0;
  Histogram latency;
};

class Recorder {
 public:
  explicit Recorder(absl::Time run_start) : run_start_(run_start) {}

  void BeginStep(int index);
  void StartMeasuring();
  // Ends the step's measured window and returns what it recorded.
  StepTotals EndStep();

  // Thread-safe; called for every completed request.
  void Record(absl::Time done, absl::Duration latency,
              absl::Duration uncorrected, grpc::StatusCode code);
  void RecordSend();

  // Per-second totals from the run's start, in order.
  std::vector<SecondTotals> Timeline() const;

 private:
  const absl::Time run_start_;
  mutable absl::Mutex mu_;
  int step_ ABSL_GUARDED_BY(mu_) = 0;
  bool measuring_ ABSL_GUARDED_BY(mu_) = false;
  StepTotals current_ ABSL_GUARDED_BY(mu_);
  std::vector<SecondTotals> seconds_ ABSL_GUARDED_BY(mu_);
};

}  // namespace asyncgrpc::loadgen
