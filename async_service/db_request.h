// One query an RPC needs, as it travels through the async service's database
// layer: queued on a loop, pipelined on a connection, then completed exactly
// once — with its result, or with the reason it ended early (deadline, client
// cancel, pool full, database down, shutdown).
#pragma once

#include <atomic>
#include <functional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "async_service/event_loop.h"
#include "common/pg_connection.h"
#include "common/queries.h"

namespace asyncgrpc::async {

struct DbRequest {
  using Callback = std::function<void(absl::StatusOr<PgResultPtr>)>;

  // Called once, on the loop thread, unless the request is already complete.
  void Complete(absl::StatusOr<PgResultPtr> result) {
    if (!completed.exchange(true)) {
      Callback callback = std::move(on_complete);
      callback(std::move(result));
    }
  }
  bool IsComplete() const { return completed.load(); }

  // Thread-safe, set at once when the call ends early, so a connection that
  // frees up before the loop has processed the cancel is not spent on this
  // request.
  std::atomic<bool> cancel_requested{false};

  BoundQuery query;
  absl::Time deadline = absl::InfiniteFuture();
  Callback on_complete;

  // The AsyncPool loop it was submitted to; -1 until then.
  int loop_index = -1;
  // Loop-thread state, owned by that loop's LoopPool.
  // The connection it was sent on; -1 while delayed or queued.
  int connection = -1;
  bool queued = false;
  // Sends so far; a request lost with a connection that had worked is retried
  // once.
  int attempts = 0;
  // The one pending timer: upstream delay, queue wait, or deadline in flight.
  EventLoop::TimerId timer = 0;

 private:
  std::atomic<bool> completed{false};
};

}  // namespace asyncgrpc::async
