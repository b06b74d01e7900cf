#include "bench/floor_server.h"

#include <grpcpp/grpcpp.h>

#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/flags.h"
#include "common/base/runtime_settings.h"
#include "common/server_runner.h"
#include "common/service_config.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "host:port to serve on; port 0 picks a free port");

namespace asyncgrpc::bench {
namespace {

// How long calls in flight get once SIGTERM or SIGINT came.
constexpr absl::Duration kGrace = absl::Seconds(1);

}  // namespace

FloorSetup StartFloor(int argc, char** argv, const char* usage,
                      const std::function<void()>& check_flags) {
  BlockTerminationSignals();
  ApplyRuntimeSettings();
  if (!ParseFlagsOrExit(argc, argv, usage).empty()) {
    ExitWithUsageError("takes no positional arguments");
  }
  if (check_flags) {
    check_flags();
  }
  // The services' own --db (with its $DATABASE_URL fallback) and checks; of
  // their other shared flags the floor uses none.
  const ServiceConfig config = ServiceConfigOrExit("asyncgrpc-floor");
  absl::StatusOr<MemoryItems> items =
      MemoryItems::Load(config.pool.db, absl::Now() + absl::Seconds(30));
  if (!items.ok()) {
    ExitWithUsageError(absl::StrCat("cannot read the items table: ",
                                    items.status().message()));
  }
  return {std::make_unique<const MemoryItems>(*std::move(items))};
}

int ServeFloor(grpc::Service& service,
               const std::function<void(grpc::ServerBuilder&)>& configure) {
  grpc::ServerBuilder builder;
  int port = 0;
  const std::string listen = absl::GetFlag(FLAGS_listen);
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  if (configure) {
    configure(builder);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    ExitWithUsageError(absl::StrCat("cannot listen on ", listen));
  }
  std::cout << "listening on " << BoundAddress(listen, port) << std::endl;
  WaitForTerminationSignal(kGrace);
  server->Shutdown(absl::ToChronoTime(absl::Now() + kGrace));
  server->Wait();
  return 0;
}

}  // namespace asyncgrpc::bench
