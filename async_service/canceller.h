// Sends PostgreSQL cancel requests from a thread of its own: PQcancel blocks
// (it opens a new connection to the server), and the event loops must never
// block.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "libpq-fe.h"

namespace asyncgrpc::async {

class Canceller {
 public:
  Canceller();
  // Sends every cancel still queued, then stops.
  ~Canceller();
  Canceller(const Canceller&) = delete;
  Canceller& operator=(const Canceller&) = delete;

  // Thread-safe. The shared_ptr keeps the PGcancel alive until it is sent.
  void Cancel(std::shared_ptr<PGcancel> cancel);

 private:
  void Run();

  absl::Mutex mu_;
  absl::CondVar wake_;
  std::vector<std::shared_ptr<PGcancel>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace asyncgrpc::async
