// Runs callbacks at chosen times on one thread of its own: the think-time waits
// and staggered user starts of the closed loop, without a thread per virtual
// user.
//
//   Scheduler scheduler;
//   scheduler.At(absl::Now() + absl::Seconds(1), [] { ... });
#pragma once

#include <functional>
#include <queue>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace asyncgrpc::loadgen {

class Scheduler {
 public:
  Scheduler();
  // Drops what has not run yet.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Thread-safe. After Stop(), callbacks are dropped, never run.
  void At(absl::Time when, std::function<void()> callback);

  // Waits for a callback that is running to return, then runs no more (what
  // is queued, or queued later, is dropped). Idempotent; not from a callback.
  void Stop();

 private:
  struct Entry {
    absl::Time when;
    uint64_t order;
    std::function<void()> callback;
    bool operator>(const Entry& other) const {
      return when != other.when ? when > other.when : order > other.order;
    }
  };

  void Run();

  absl::Mutex mu_;
  absl::CondVar changed_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue_
      ABSL_GUARDED_BY(mu_);
  uint64_t next_order_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace asyncgrpc::loadgen
