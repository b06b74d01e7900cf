#include "loadgen/core/recorder.h"

#include <algorithm>

namespace asyncgrpc::loadgen {
namespace {

int64_t Micros(absl::Duration d) {
  return std::max<int64_t>(absl::ToInt64Microseconds(d), 0);
}

}  // namespace

void Recorder::BeginStep(int index) {
  absl::MutexLock lock(&mu_);
  step_ = index;
  measuring_ = false;
  current_ = StepTotals();
}

void Recorder::StartMeasuring() {
  absl::MutexLock lock(&mu_);
  measuring_ = true;
}

StepTotals Recorder::EndStep() {
  absl::MutexLock lock(&mu_);
  measuring_ = false;
  StepTotals totals = std::move(current_);
  current_ = StepTotals();
  return totals;
}

void Recorder::Record(absl::Time done, absl::Duration latency,
                      absl::Duration uncorrected, grpc::StatusCode code) {
  const int64_t second =
      std::max<int64_t>(absl::ToInt64Seconds(done - run_start_), 0);
  absl::MutexLock lock(&mu_);
  if (static_cast<int64_t>(seconds_.size()) <= second) {
    seconds_.resize(second + 1);
  }
  SecondTotals& bucket = seconds_[second];
  bucket.step = step_;
  ++bucket.requests;
  bucket.latency.Record(Micros(latency));
  if (code != grpc::StatusCode::OK) {
    ++bucket.failures;
  }
  if (!measuring_) {
    return;
  }
  ++current_.requests;
  current_.latency.Record(Micros(latency));
  current_.uncorrected.Record(Micros(uncorrected));
  if (code == grpc::StatusCode::OK) {
    ++current_.ok;
  } else {
    ++current_.errors[code];
  }
}

void Recorder::RecordSend() {
  absl::MutexLock lock(&mu_);
  if (measuring_) {
    ++current_.sent;
  }
}

std::vector<SecondTotals> Recorder::Timeline() const {
  absl::MutexLock lock(&mu_);
  return seconds_;
}

}  // namespace asyncgrpc::loadgen
