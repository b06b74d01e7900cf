#include "common/server_runner.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <signal.h>
#include <string.h>

#include <iostream>
#include <memory>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/db_probe.h"
#include "common/flags.h"
#include "common/service_config.h"
#include "grpc/health/v1/health.pb.h"

namespace asyncgrpc {
namespace {

sigset_t TerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

// The port part of "host:port" replaced by the port the server bound.
std::string BoundAddress(const std::string& listen, int port) {
  const size_t colon = listen.rfind(':');
  return absl::StrCat(listen.substr(0, colon), ":", port);
}

// Keeps the service's readiness in step with the database until `stop` is
// notified.
void RunHealthLoop(grpc::HealthCheckServiceInterface& health, DbProbe& probe,
                   absl::Duration interval, absl::Notification& stop) {
  bool serving = true;
  while (!stop.HasBeenNotified()) {
    const absl::Status status = probe.Check(absl::Now() + interval);
    if (status.ok() != serving) {
      serving = status.ok();
      std::cerr << ProgramName() << ": database "
                << (serving ? "reachable again"
                            : absl::StrCat("unreachable: ", status.message()))
                << std::endl;
      health.SetServingStatus(kItemServiceName, serving);
    }
    stop.WaitForNotificationWithTimeout(interval);
  }
}

// Catches the common mistakes before gRPC does (it logs a multi-line error of
// its own).
absl::Status CheckListenAddress(const std::string& listen) {
  if (absl::StartsWith(listen, "unix:")) {
    return absl::OkStatus();
  }
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--listen must be HOST:PORT (e.g. 127.0.0.1:50051), got \"", listen,
        "\""));
  }
  return absl::OkStatus();
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t signals = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

absl::Status RunServer(grpc::Service& service, const DbOptions& db,
                       const ServerOptions& options) {
  if (absl::Status status = CheckListenAddress(options.listen); !status.ok()) {
    return status;
  }
  // Referencing a health message links its descriptors in, so reflection
  // clients can call grpc.health.v1.Health by name (gRPC's built-in health
  // service carries no descriptors).
  grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(),
                           &port);
  // gRPC enables SO_REUSEPORT by default: a second server on a taken port would
  // silently share it.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(&service);
  if (options.configure_builder) {
    options.configure_builder(builder);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot listen on ", options.listen,
                     " (malformed address or port in use)"));
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  health->SetServingStatus("", true);
  health->SetServingStatus(kItemServiceName, true);

  DbProbe probe(db);
  absl::Notification stop_health;
  std::thread health_thread([&] {
    RunHealthLoop(*health, probe, options.health_check_interval, stop_health);
  });

  std::cout << "listening on " << BoundAddress(options.listen, port)
            << std::endl;

  sigset_t signals = TerminationSignals();
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::cerr << ProgramName() << ": " << strsignal(signal_number)
            << ": draining, grace "
            << absl::FormatDuration(options.shutdown_grace) << std::endl;

  // Every service reports NOT_SERVING from here on, so balancers stop routing
  // to us.
  health->Shutdown();
  stop_health.Notify();
  if (options.on_drain) {
    options.on_drain();
  }
  server->Shutdown(absl::ToChronoTime(absl::Now() + options.shutdown_grace));
  server->Wait();
  health_thread.join();
  std::cerr << ProgramName() << ": stopped" << std::endl;
  return absl::OkStatus();
}

}  // namespace asyncgrpc
