// When an open-loop step plans each send: at START + k / RATE for k = 0, 1, ...
// before END. Each time is computed from k directly, so a long step at a high
// rate does not drift.
//
//   OpenLoopSchedule schedule(start, end, 500);
//   for (int64_t k = 0; k < schedule.Count(); ++k) {
//     SleepUntil(schedule.At(k));
//     Send();
//   }
#pragma once

#include <cmath>
#include <cstdint>

#include "absl/time/time.h"

namespace asyncgrpc::loadgen {

class OpenLoopSchedule {
 public:
  // `rate` in calls per second, positive.
  OpenLoopSchedule(absl::Time start, absl::Time end, double rate)
      : start_(start), end_(end), rate_(rate) {}

  absl::Time At(int64_t k) const {
    return start_ + absl::Seconds(static_cast<double>(k) / rate_);
  }

  // Planned sends in [start, end).
  int64_t Count() const {
    int64_t count = static_cast<int64_t>(
        std::ceil(absl::ToDoubleSeconds(end_ - start_) * rate_));
    while (count > 0 && At(count - 1) >= end_) {
      --count;
    }
    while (At(count) < end_) {
      ++count;
    }
    return count;
  }

 private:
  absl::Time start_;
  absl::Time end_;
  double rate_;
};

}  // namespace asyncgrpc::loadgen
