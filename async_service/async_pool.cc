#include "async_service/async_pool.h"

#include <algorithm>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"

namespace asyncgrpc::async {

AsyncPool::AsyncPool(Options options) : options_(std::move(options)) {
  const int loops = std::clamp(options_.event_loops, 1, options_.pool.size);
  for (int i = 0; i < loops; ++i) {
    LoopPool::Options loop_options{
        .pool = options_.pool,
        .connections = options_.pool.size / loops +
                       (i < options_.pool.size % loops ? 1 : 0),
        .pipeline_depth = options_.pipeline_depth,
        .max_pending = (options_.max_pending + loops - 1) / loops,
    };
    Loop loop;
    loop.thread = std::make_unique<EventLoop>();
    loop.pool = std::make_unique<LoopPool>(*loop.thread, canceller_,
                                           std::move(loop_options));
    loops_.push_back(std::move(loop));
  }
  RunOnAll([](LoopPool& pool) { pool.Start(); });
}

AsyncPool::~AsyncPool() {
  RunOnAll([](LoopPool& pool) {
    pool.Close(absl::UnavailableError("the server is shutting down"));
  });
  // Loop threads stop before their pools are destroyed: no callback can run
  // into a dead pool.
  for (Loop& loop : loops_) {
    loop.thread.reset();
  }
}

void AsyncPool::RunOnAll(const std::function<void(LoopPool&)>& task) {
  absl::BlockingCounter done(static_cast<int>(loops_.size()));
  for (Loop& loop : loops_) {
    LoopPool* pool = loop.pool.get();
    loop.thread->Post([pool, &task, &done] {
      task(*pool);
      done.DecrementCount();
    });
  }
  done.Wait();
}

void AsyncPool::Warm(absl::Time deadline) {
  if (options_.pool.connect_per_request) {
    return;
  }
  while (absl::Now() < deadline) {
    std::atomic<int> ready{0};
    RunOnAll([&ready](LoopPool& pool) { ready += pool.ReadyConnections(); });
    if (ready == options_.pool.size) {
      return;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
}

void AsyncPool::Submit(std::shared_ptr<DbRequest> request,
                       absl::Duration delay) {
  const int index = static_cast<int>(next_loop_++ % loops_.size());
  request->loop_index = index;
  LoopPool* pool = loops_[index].pool.get();
  loops_[index].thread->Post(
      [pool, request = std::move(request), delay]() mutable {
        pool->Submit(std::move(request), delay);
      });
}

void AsyncPool::Cancel(std::shared_ptr<DbRequest> request, absl::Status why) {
  if (request->IsComplete() || request->loop_index < 0) {
    return;
  }
  request->cancel_requested = true;
  const Loop& loop = loops_[request->loop_index];
  LoopPool* pool = loop.pool.get();
  loop.thread->Post(
      [pool, request = std::move(request), why = std::move(why)]() mutable {
        pool->Cancel(request, std::move(why));
      });
}

void AsyncPool::StopWaiters() {
  RunOnAll([](LoopPool& pool) { pool.StopWaiters(); });
}

DbPoolStats AsyncPool::Stats() {
  absl::Mutex mu;
  DbPoolStats total;
  RunOnAll([&mu, &total](LoopPool& pool) {
    const DbPoolStats part = pool.Stats();
    absl::MutexLock lock(&mu);
    total.in_use += part.in_use;
    total.idle += part.idle;
    total.waiting += part.waiting;
    total.in_flight += part.in_flight;
  });
  return total;
}

}  // namespace asyncgrpc::async
