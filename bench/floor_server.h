// What the two floor servers (floor_sync.cc, floor_callback.cc) share: the
// GetItem answers, read once from --db, and a server on --listen that runs
// until SIGTERM or SIGINT. A floor server is the least a gRPC API can do to
// answer GetItem from memory, with none of the services' extras (health,
// reflection, metrics, TLS, drain): scripts/ceilings measures each service
// without a database against the floor of its own API, in the same run.
//
//   int main(int argc, char** argv) {
//     const asyncgrpc::bench::FloorSetup setup = asyncgrpc::bench::StartFloor(
//         argc, argv, "the sync floor", CheckMaxThreads);
//     FloorSyncService service(*setup.items);
//     return asyncgrpc::bench::ServeFloor(service, {});
//   }
#pragma once

#include <grpcpp/server_builder.h>

#include <functional>
#include <memory>

#include "common/memory_items.h"

namespace asyncgrpc::bench {

struct FloorSetup {
  std::unique_ptr<const MemoryItems> items;
};

// Parses the flags (--listen, the caller's own, and the services' shared ones,
// of which only --db is used), runs `check_flags` (which exits on a bad value
// of the caller's own), then reads the items table; one line and exit 2 on bad
// flags or an unreadable table.
FloorSetup StartFloor(int argc, char** argv, const char* usage,
                      const std::function<void()>& check_flags = nullptr);

// Serves `service` on --listen, prints "listening on HOST:PORT" on stdout,
// and returns 0 once SIGTERM or SIGINT has stopped it (calls in flight get a
// second). `configure` applies the API's own builder settings.
int ServeFloor(grpc::Service& service,
               const std::function<void(grpc::ServerBuilder&)>& configure);

}  // namespace asyncgrpc::bench
