// The async service's database layer as RPC handlers see it: thread-safe, never
// blocking. Spreads the connection pool over a few event loops (one LoopPool
// each) and hands each request to one of them; completion arrives on that
// loop's thread. Its verbs are the sync service's ConnectionPool's.
//
//   AsyncPool pool(options);
//   pool.Warm(absl::Now() + options.pool.connect_timeout);
//   pool.Submit(request, upstream_delay);  // request->on_complete runs later, once
//   pool.Cancel(request, absl::CancelledError("..."));
//   DbPoolStats stats = pool.Stats();       // for /metrics
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "async_service/canceller.h"
#include "async_service/db_request.h"
#include "async_service/event_loop.h"
#include "async_service/loop_pool.h"
#include "common/metrics.h"
#include "common/service_config.h"

namespace asyncgrpc::async {

class AsyncPool {
 public:
  struct Options {
    DbPoolConfig pool;
    // The defaults (also the flags') are the fastest scripts/ceilings found
    // on a 2-core machine: deeper pipelines put more queries behind each sync,
    // and a second loop shares the work of finishing calls (figures in
    // docs/performance.md, "Figures behind choices in the code").
    int event_loops = 2;
    int pipeline_depth = 32;
    // Requests waiting for a connection, over all loops, before
    // RESOURCE_EXHAUSTED.
    int max_pending = 1000;
  };

  explicit AsyncPool(Options options);
  // Fails whatever is left with UNAVAILABLE and closes every connection.
  ~AsyncPool();
  AsyncPool(const AsyncPool&) = delete;
  AsyncPool& operator=(const AsyncPool&) = delete;

  // Opens every connection now rather than on first use, so the first calls do
  // not pay for connecting and preparing; waits (blocking: for start-up only)
  // until they are ready or `deadline`. Failures are left for calls to retry.
  void Warm(absl::Time deadline);

  void Submit(std::shared_ptr<DbRequest> request, absl::Duration delay);
  void Cancel(std::shared_ptr<DbRequest> request, absl::Status why);
  // From now on, requests waiting for a connection (and new ones that would
  // wait) fail with UNAVAILABLE; queries already sent finish.
  void StopWaiters();
  // The loops' LoopPool::Stats() summed, for the metrics gauges. Asks each loop
  // and waits for its answer (as long as the loop takes to come round to it),
  // so the loops keep their state to themselves; not for the per-call path.
  DbPoolStats Stats();

 private:
  struct Loop {
    std::unique_ptr<EventLoop> thread;
    std::unique_ptr<LoopPool> pool;
  };

  void RunOnAll(const std::function<void(LoopPool&)>& task);

  const Options options_;
  Canceller canceller_;
  std::vector<Loop> loops_;
  std::atomic<uint64_t> next_loop_{0};
};

}  // namespace asyncgrpc::async
