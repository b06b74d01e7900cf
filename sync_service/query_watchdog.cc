#include "sync_service/query_watchdog.h"

#include <array>

namespace asyncgrpc::sync {

QueryWatchdog::Watch::~Watch() {
  if (watchdog_ != nullptr) {
    watchdog_->End(id_);
  }
}

bool QueryWatchdog::Watch::Fired() const {
  return watchdog_ != nullptr && watchdog_->Fired(id_);
}

QueryWatchdog::QueryWatchdog() : thread_([this] { Run(); }) {}

QueryWatchdog::~QueryWatchdog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  wake_.Signal();
  thread_.join();
}

QueryWatchdog::Watch QueryWatchdog::Start(PGcancel* cancel, absl::Time deadline,
                                          std::function<bool()> is_cancelled) {
  absl::MutexLock lock(&mu_);
  const uint64_t id = next_id_++;
  entries_.emplace(id, Entry{.cancel = cancel,
                             .deadline = deadline,
                             .is_cancelled = std::move(is_cancelled)});
  wake_.Signal();
  return Watch(this, id);
}

void QueryWatchdog::End(uint64_t id) {
  // Taking the lock waits out a PQcancel in progress for this entry.
  absl::MutexLock lock(&mu_);
  entries_.erase(id);
}

bool QueryWatchdog::Fired(uint64_t id) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(id);
  return it != entries_.end() && it->second.fired;
}

void QueryWatchdog::Run() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    const absl::Time now = absl::Now();
    for (auto& [id, entry] : entries_) {
      if (entry.fired || (now < entry.deadline && !entry.is_cancelled())) {
        continue;
      }
      // PQcancel blocks briefly (a new connection to the postmaster); holding
      // the lock keeps the query's Watch, and so its PGcancel, alive until it
      // returns.
      std::array<char, 256> error{};
      PQcancel(entry.cancel, error.data(), static_cast<int>(error.size()));
      entry.fired = true;
    }
    if (entries_.empty()) {
      wake_.Wait(&mu_);
    } else {
      wake_.WaitWithTimeout(&mu_, kCancelPollInterval);
    }
  }
}

}  // namespace asyncgrpc::sync
