#include "async_service/canceller.h"

#include <array>

namespace asyncgrpc::async {

Canceller::Canceller() : thread_([this] { Run(); }) {}

Canceller::~Canceller() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  wake_.Signal();
  thread_.join();
}

void Canceller::Cancel(std::shared_ptr<PGcancel> cancel) {
  {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(cancel));
  }
  wake_.Signal();
}

void Canceller::Run() {
  while (true) {
    std::vector<std::shared_ptr<PGcancel>> batch;
    {
      absl::MutexLock lock(&mu_);
      while (queue_.empty() && !stopping_) {
        wake_.Wait(&mu_);
      }
      if (queue_.empty()) {
        return;
      }
      batch.swap(queue_);
    }
    for (const auto& cancel : batch) {
      std::array<char, 256> error{};
      PQcancel(cancel.get(), error.data(), static_cast<int>(error.size()));
    }
  }
}

}  // namespace asyncgrpc::async
