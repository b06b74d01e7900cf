#include "sync_service/query_watchdog.h"

#include <algorithm>
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
  const absl::Time next_poll = absl::Now() + kCancelPollInterval;
  absl::MutexLock lock(&mu_);
  const uint64_t id = next_id_++;
  entries_.emplace(id, Entry{.cancel = cancel,
                             .deadline = deadline,
                             .is_cancelled = std::move(is_cancelled),
                             .next_poll = next_poll});
  // Under load the watcher already looks within kCancelPollInterval, so most
  // queries need not wake it.
  if (const absl::Time due = std::min(deadline, next_poll); due < wake_at_) {
    wake_at_ = due;  // until the watcher recomputes it
    wake_.Signal();
  }
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

absl::Time QueryWatchdog::CancelDueQueries() {
  absl::Time next = absl::InfiniteFuture();
  const absl::Time now = absl::Now();
  for (auto& [id, entry] : entries_) {
    if (entry.fired) {
      continue;
    }
    bool cancel = now >= entry.deadline;
    if (!cancel && now >= entry.next_poll) {
      cancel = entry.is_cancelled();
      entry.next_poll = now + kCancelPollInterval;
    }
    if (!cancel) {
      next = std::min({next, entry.deadline, entry.next_poll});
      continue;
    }
    // PQcancel blocks briefly (a new connection to the postmaster); holding
    // the lock keeps the query's Watch, and so its PGcancel, alive until it
    // returns.
    std::array<char, 256> error{};
    PQcancel(entry.cancel, error.data(), static_cast<int>(error.size()));
    entry.fired = true;
  }
  return next;
}

void QueryWatchdog::Run() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    wake_at_ = CancelDueQueries();
    // Ended queries are not removed from wake_at_: waking for one of them
    // just finds the next due time.
    wake_.WaitWithDeadline(&mu_, wake_at_);
  }
}

}  // namespace asyncgrpc::sync
