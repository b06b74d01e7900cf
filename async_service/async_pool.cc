#include "async_service/async_pool.h"

#include <algorithm>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"

namespace asyncgrpc::async {

AsyncPool::AsyncPool(Options options) : options_(std::move(options)) {
  const int loops = std::clamp(options_.event_loops, 1, options_.pool.size);
  for (int i = 0; i < loops; ++i) {
    ShardOptions shard_options{
        .pool = options_.pool,
        .connections = options_.pool.size / loops +
                       (i < options_.pool.size % loops ? 1 : 0),
        .pipeline_depth = options_.pipeline_depth,
        .max_pending = (options_.max_pending + loops - 1) / loops,
    };
    Shard shard;
    shard.loop = std::make_unique<EventLoop>();
    shard.db = std::make_unique<DbShard>(*shard.loop, canceller_,
                                         std::move(shard_options));
    shards_.push_back(std::move(shard));
  }
  RunOnAll([](DbShard& db) { db.Start(); });
}

AsyncPool::~AsyncPool() {
  RunOnAll([](DbShard& db) {
    db.Close(absl::UnavailableError("the server is shutting down"));
  });
  // Loops stop before their shards are destroyed: no callback can run into a
  // dead shard.
  for (Shard& shard : shards_) {
    shard.loop.reset();
  }
}

void AsyncPool::RunOnAll(const std::function<void(DbShard&)>& task) {
  absl::BlockingCounter done(static_cast<int>(shards_.size()));
  for (Shard& shard : shards_) {
    DbShard* db = shard.db.get();
    shard.loop->Post([db, &task, &done] {
      task(*db);
      done.DecrementCount();
    });
  }
  done.Wait();
}

void AsyncPool::WaitUntilReady(absl::Time deadline) {
  if (options_.pool.connect_per_request) {
    return;
  }
  while (absl::Now() < deadline) {
    std::atomic<int> ready{0};
    RunOnAll([&ready](DbShard& db) { ready += db.ReadyConnections(); });
    if (ready == options_.pool.size) {
      return;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
}

void AsyncPool::Submit(std::shared_ptr<DbRequest> request,
                       absl::Duration delay) {
  const int index = static_cast<int>(next_shard_++ % shards_.size());
  request->shard = index;
  DbShard* db = shards_[index].db.get();
  shards_[index].loop->Post(
      [db, request = std::move(request), delay]() mutable {
        db->Submit(std::move(request), delay);
      });
}

void AsyncPool::Cancel(std::shared_ptr<DbRequest> request, absl::Status why) {
  if (request->IsComplete() || request->shard < 0) {
    return;
  }
  request->cancel_requested = true;
  DbShard* db = shards_[request->shard].db.get();
  shards_[request->shard].loop->Post(
      [db, request = std::move(request), why = std::move(why)]() mutable {
        db->Cancel(request, std::move(why));
      });
}

void AsyncPool::FailQueued(absl::Status why) {
  RunOnAll([&why](DbShard& db) { db.FailQueued(why); });
}

DbPoolStats AsyncPool::Stats() {
  absl::Mutex mu;
  DbPoolStats total;
  RunOnAll([&mu, &total](DbShard& db) {
    const DbPoolStats shard = db.Stats();
    absl::MutexLock lock(&mu);
    total.in_use += shard.in_use;
    total.idle += shard.idle;
    total.waiting += shard.waiting;
    total.in_flight += shard.in_flight;
  });
  return total;
}

}  // namespace asyncgrpc::async
