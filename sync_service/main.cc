// sync_service: items.v1.ItemService on gRPC's synchronous server API and
// blocking libpq.
#include <memory>

#include "absl/flags/flag.h"
#include "common/base/flags.h"
#include "common/base/runtime_settings.h"
#include "common/memory_items.h"
#include "common/server_runner.h"
#include "common/service_config.h"
#include "sync_service/connection_pool.h"
#include "sync_service/item_service.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to serve on; port 0 picks a free port");
ABSL_FLAG(int, max_threads, 256,
          "cap on gRPC's handler threads (ResourceQuota); calls beyond it get "
          "RESOURCE_EXHAUSTED");
ABSL_FLAG(int, max_pollers, 0,
          "most threads polling for new calls (SyncServerOption MAX_POLLERS); "
          "0 = as many as --max_threads");

int main(int argc, char** argv) {
  using namespace asyncgrpc;
  BlockTerminationSignals();
  ApplyRuntimeSettings();
  ParseFlagsOrExit(argc, argv,
                   "Serves items.v1.ItemService from PostgreSQL on gRPC's "
                   "synchronous API (a thread per in-flight call).");
  const int max_threads = absl::GetFlag(FLAGS_max_threads);
  int max_pollers = absl::GetFlag(FLAGS_max_pollers);
  if (max_threads < 2 || max_pollers < 0 || max_pollers > max_threads) {
    ExitWithUsageError(
        "--max_threads must be at least 2 and --max_pollers between 0 and "
        "--max_threads");
  }
  // gRPC ends a handler thread that finds more than MAX_POLLERS threads
  // already polling, and starts one when none is: with fewer pollers than
  // calls in flight, threads are created and destroyed over and over
  // under load. Keeping every thread (up to the cap) measured faster
  // (docs/performance.md, "Figures behind choices in the code").
  if (max_pollers == 0) {
    max_pollers = max_threads;
  }
  const ServiceConfig config = ServiceConfigOrExit("asyncgrpc-sync");

  sync::ConnectionPool pool(config.pool);
  pool.Warm(absl::Now() + config.pool.connect_timeout);
  const std::unique_ptr<const MemoryItems> memory =
      MemoryItems::LoadIfRequestedOrExit(config);
  sync::ItemServiceImpl service(pool, config.upstream_delay, memory.get());
  ServerOptions options =
      PoolServerOptions(config, absl::GetFlag(FLAGS_listen), "sync", pool);
  options.configure_builder = [&](grpc::ServerBuilder& builder) {
    grpc::ResourceQuota quota("sync_service");
    quota.SetMaxThreads(max_threads);
    builder.SetResourceQuota(quota);
    builder.SetSyncServerOption(
        grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, max_pollers);
  };
  const absl::Status status = RunServer(service, config.pool.db, options);
  if (!status.ok()) {
    ExitWithUsageError(status.message());
  }
  return 0;
}
