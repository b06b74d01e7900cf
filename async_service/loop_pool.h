// The part of the async service's connection pool that one event loop owns:
// its connections, and the queue of requests waiting for them. Connections are
// non-blocking libpq in pipeline mode: up to `pipeline_depth` queries in flight
// each, answered in order; the queries one loop turn sends on a connection go
// out together behind one sync (see PickConnection). Everything here runs on
// the loop thread; other threads reach it through EventLoop::Post.
//
// A request is queued until a connection has room (then sent), and completes
// once: with its result; RESOURCE_EXHAUSTED when the queue is full or no room
// came in time; DEADLINE_EXCEEDED or CANCELLED when its call ends first (a
// query already running is then cancelled on the server, and its late result
// dropped); UNAVAILABLE when the database cannot be reached. Lost connections
// reconnect with backoff by themselves.
#pragma once

#include <deque>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "async_service/canceller.h"
#include "async_service/db_request.h"
#include "async_service/event_loop.h"
#include "common/metrics.h"
#include "common/service_config.h"

namespace asyncgrpc::async {

class LoopPool {
 public:
  struct Options {
    DbPoolConfig pool;
    // This loop's share of the pool.
    int connections = 1;
    int pipeline_depth = 32;
    int max_pending = 1000;
  };

  LoopPool(EventLoop& loop, Canceller& canceller, Options options);
  LoopPool(const LoopPool&) = delete;
  LoopPool& operator=(const LoopPool&) = delete;

  // All below: loop thread only.
  // Connects every pooled connection (nothing to do in connect-per-request
  // mode).
  void Start();
  // Queues `request` after `delay` (the simulated upstream call), then sends it
  // when a connection has room.
  void Submit(std::shared_ptr<DbRequest> request, absl::Duration delay);
  // Completes `request` with `why` unless it already is; a running query is
  // cancelled.
  void Cancel(const std::shared_ptr<DbRequest>& request, absl::Status why);
  // From now on, requests waiting for a connection (and new ones that would
  // wait) fail with UNAVAILABLE; queries already sent finish.
  void StopWaiters();
  // Completes everything with `why` and closes every connection.
  void Close(const absl::Status& why);
  // Connections ready for queries.
  int ReadyConnections() const;
  // This loop's part of the metrics gauges: open connections with a query in
  // flight (in_use) or none (idle), queued requests (waiting), queries sent
  // and not yet answered (in_flight; an abandoned one still running counts).
  DbPoolStats Stats() const;

 private:
  enum class State { kIdle, kConnecting, kPreparing, kReady, kBackoff };

  // One thing a connection has sent and awaits the answer to.
  struct Pending {
    enum class Kind {
      kQuery,    // a request's query: its results, then NULL
      kSync,     // the sync closing a batch of queries: PGRES_PIPELINE_SYNC
      kPrepare,  // the statement-preparation batch, with its own sync
    };
    Kind kind;
    std::shared_ptr<DbRequest> request;  // kQuery only
  };

  struct Connection {
    State state = State::kIdle;
    PgConnPtr conn;
    int fd = -1;
    std::shared_ptr<PGcancel> cancel;
    // Sent and not yet answered, in order.
    std::deque<Pending> in_flight;
    // kQuery entries of in_flight.
    int queries = 0;
    // Queries sent since the last sync (they go out with the next one).
    int unsynced = 0;
    // The first result of the head query (or its first error).
    PgResultPtr head_result;
    // True once a query succeeded here: a later failure may just mean the
    // connection went stale.
    bool served = false;
    // Connect timeout or reconnect backoff.
    EventLoop::TimerId timer = 0;
    absl::Duration backoff;
    // What OnSocket is watching the socket for (0: not OnSocket).
    uint32_t watching = 0;
  };

  void Enqueue(std::shared_ptr<DbRequest> request);
  // Completes every queued (not yet sent) request with `why`.
  void FailQueued(const absl::Status& why);
  // Puts a request that lost its connection back at the head of the queue.
  void Requeue(std::shared_ptr<DbRequest> request);
  // Gives up on a queued request when its wait for a connection runs out.
  void ArmQueueTimer(const std::shared_ptr<DbRequest>& request);
  void Pump();
  // A connection with room for one more query, or -1.
  int PickConnection() const;
  void Dispatch(int index, std::shared_ptr<DbRequest> request);
  bool SendQuery(int index, const DbRequest& request);
  // Closes the current batch of queries with a sync and writes it out.
  void SyncAndFlush(int index);
  // Syncs every connection's open batch once this loop turn is over.
  void ScheduleSync();
  void SyncAll();
  void Finish(DbRequest& request, absl::StatusOr<PgResultPtr> result);

  void StartConnect(int index);
  void ContinueConnect(int index);
  void WatchConnecting(int index, PostgresPollingStatusType polling);
  void ConnectEstablished(int index);
  void ConnectFailed(int index, const absl::Status& status);
  void ConnectionLost(int index, const absl::Status& status);
  void CloseConnection(int index);

  void OnSocket(int index, uint32_t events);
  void Flush(int index);
  void WatchSocket(int index, uint32_t events);
  void ReadResults(int index);
  void FinishHead(int index);
  void FinishPrepare(int index);
  void CancelHeadIfAbandoned(int index);
  // The query `c` runs now (or runs next), if any.
  static const DbRequest* HeadQuery(const Connection& c);
  // Closes the connection and returns its requests sent and not yet answered.
  std::vector<std::shared_ptr<DbRequest>> CloseAndTakeQueries(int index);

  absl::Status DatabaseStatus(int index) const;

  EventLoop& loop_;
  Canceller& canceller_;
  const Options options_;
  std::vector<Connection> connections_;
  std::deque<std::shared_ptr<DbRequest>> queue_;
  // Requests in queue_ that are not complete yet (completed ones are skipped
  // lazily).
  int queued_ = 0;
  // After a failed connect, while no connection is ready, requests fail fast
  // until then.
  absl::Time fail_fast_until_ = absl::InfinitePast();
  absl::Status last_connect_error_;
  // A SyncAll is deferred to the end of this loop turn.
  bool sync_scheduled_ = false;
  // StopWaiters was called: nothing waits for a connection any more.
  bool stopped_waiters_ = false;
};

}  // namespace asyncgrpc::async
