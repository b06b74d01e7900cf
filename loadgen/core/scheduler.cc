#include "loadgen/core/scheduler.h"

namespace asyncgrpc::loadgen {

Scheduler::Scheduler() : thread_([this] { Run(); }) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  changed_.Signal();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Scheduler::At(absl::Time when, std::function<void()> callback) {
  bool earliest;
  {
    absl::MutexLock lock(&mu_);
    earliest = queue_.empty() || when < queue_.top().when;
    queue_.push(Entry{when, next_order_++, std::move(callback)});
  }
  if (earliest) {
    changed_.Signal();
  }
}

void Scheduler::Run() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      changed_.Wait(&mu_);
      continue;
    }
    if (absl::Now() < queue_.top().when) {
      changed_.WaitWithDeadline(&mu_, queue_.top().when);
      continue;
    }
    std::function<void()> callback =
        std::move(const_cast<Entry&>(queue_.top()).callback);
    queue_.pop();
    mu_.Unlock();
    callback();
    mu_.Lock();
  }
}

}  // namespace asyncgrpc::loadgen
