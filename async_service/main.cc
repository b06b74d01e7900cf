// async_service: items.v1.ItemService on gRPC's callback API and non-blocking,
// pipelined libpq driven by the service's own event loops.
#include <memory>

#include "absl/flags/flag.h"
#include "async_service/async_pool.h"
#include "async_service/item_service.h"
#include "common/base/flags.h"
#include "common/base/runtime_settings.h"
#include "common/memory_items.h"
#include "common/server_runner.h"
#include "common/service_config.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50052",
          "host:port to serve on; port 0 picks a free port");
ABSL_FLAG(int, event_loops, asyncgrpc::async::AsyncPool::Options().event_loops,
          "event-loop threads driving the database connections (at most "
          "--db_pool_size)");
ABSL_FLAG(int, pipeline_depth,
          asyncgrpc::async::AsyncPool::Options().pipeline_depth,
          "queries in flight per connection (libpq pipeline mode); 1 = no "
          "pipelining");
ABSL_FLAG(int, max_pending, asyncgrpc::async::AsyncPool::Options().max_pending,
          "calls waiting for a database connection before new ones get "
          "RESOURCE_EXHAUSTED");

int main(int argc, char** argv) {
  using namespace asyncgrpc;
  BlockTerminationSignals();
  ApplyRuntimeSettings();
  ParseFlagsOrExit(argc, argv,
                   "Serves items.v1.ItemService from PostgreSQL on gRPC's "
                   "callback API (no thread waits on the database).");
  const int event_loops = absl::GetFlag(FLAGS_event_loops);
  const int pipeline_depth = absl::GetFlag(FLAGS_pipeline_depth);
  const int max_pending = absl::GetFlag(FLAGS_max_pending);
  if (event_loops < 1 || event_loops > 64) {
    ExitWithUsageError("--event_loops must be between 1 and 64");
  }
  if (pipeline_depth < 1 || pipeline_depth > 1024) {
    ExitWithUsageError("--pipeline_depth must be between 1 and 1024");
  }
  if (max_pending < 0) {
    ExitWithUsageError("--max_pending must not be negative");
  }
  const ServiceConfig config = ServiceConfigOrExit("asyncgrpc-async");

  async::AsyncPool pool({.pool = config.pool,
                         .event_loops = event_loops,
                         .pipeline_depth = pipeline_depth,
                         .max_pending = max_pending});
  pool.Warm(absl::Now() + config.pool.connect_timeout);
  const std::unique_ptr<const MemoryItems> memory =
      MemoryItems::LoadIfRequestedOrExit(config);
  async::ItemServiceImpl service(pool, config.upstream_delay, memory.get());
  const absl::Status status = RunServer(
      service, config.pool.db,
      PoolServerOptions(config, absl::GetFlag(FLAGS_listen), "async", pool));
  if (!status.ok()) {
    ExitWithUsageError(status.message());
  }
  return 0;
}
