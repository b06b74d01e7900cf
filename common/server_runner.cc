#include "common/server_runner.h"

#include <grpc/support/log.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/base/flags.h"
#include "common/base/status_macros.h"
#include "common/bindable_address.h"
#include "common/db_probe.h"
#include "common/metrics_server.h"
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

// Keeps the service's readiness in step with the database until `stop` is
// notified.
void RunHealthLoop(grpc::HealthCheckServiceInterface& health, DbProbe& probe,
                   const DbOptions& db, absl::Duration interval,
                   absl::Notification& stop) {
  Readiness readiness;
  while (!stop.HasBeenNotified()) {
    const absl::Time deadline = absl::Now() + interval;
    const absl::Status status = probe.Check(deadline);
    const bool was_ready = readiness.ready();
    const bool ready = readiness.Observe(status, absl::Now() >= deadline);
    if (ready != was_ready) {
      std::cerr << ProgramName() << ": database "
                << (ready ? "reachable again"
                          : absl::StrCat("unreachable: ",
                                         RedactDbPassword(status.message(),
                                                          db.conninfo)))
                << std::endl;
      health.SetServingStatus(kItemServiceName, ready);
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

// Resolves `listen` and binds it once ourselves, so that an unknown host or a
// taken port is reported in one line naming the cause (gRPC logs a multi-line
// error of its own and reports no reason). Like gRPC, succeeds when any of the
// host's addresses can be bound.
absl::Status CheckCanListen(const std::string& listen) {
  if (absl::StartsWith(listen, "unix:")) {
    // unix:PATH or unix:///PATH: its directory must exist and take new files.
    std::string path = listen.substr(5);
    if (absl::StartsWith(path, "//")) {
      path = path.substr(2);
    }
    const size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "."
                            : slash == 0               ? "/"
                                                       : path.substr(0, slash);
    if (access(dir.c_str(), W_OK | X_OK) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot listen on ", listen, ": ", dir, ": ", strerror(errno)));
    }
    return absl::OkStatus();
  }
  const size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const absl::StatusOr<std::string> bindable =
      FirstBindableAddress(host, port, AF_UNSPEC);
  if (absl::IsNotFound(bindable.status())) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot listen on ", listen, ": cannot resolve \"", host,
                     "\": ", bindable.status().message()));
  }
  if (!bindable.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot listen on ", listen, ": ", bindable.status().message()));
  }
  return absl::OkStatus();
}

// gRPC logs its own errors (several lines each) while the server starts. They
// are held back there: when starting fails, the first becomes the reason in our
// one-line error; when it succeeds they are printed after all. From the first
// start on, every gRPC log message goes through LogGrpcMessage: one line,
// "<severity letter> <file>:<line>] <message>", on stderr.
absl::Mutex grpc_log_mutex(absl::kConstInit);
std::vector<std::string>* held_grpc_log ABSL_GUARDED_BY(grpc_log_mutex) =
    nullptr;

void LogGrpcMessage(gpr_log_func_args* args) {
  absl::string_view file = args->file != nullptr ? args->file : "";
  file = file.substr(file.rfind('/') + 1);
  std::string line = absl::StrCat(gpr_log_severity_string(args->severity), " ",
                                  file, ":", args->line, "] ", args->message);
  absl::MutexLock lock(&grpc_log_mutex);
  if (held_grpc_log != nullptr) {
    held_grpc_log->push_back(std::move(line));
  } else {
    std::cerr << line << std::endl;
  }
}

// Builds and starts the server with gRPC's log held back; on failure returns
// null and the first held message (without its "{...}" details) in `reason`.
std::unique_ptr<grpc::Server> BuildAndStartQuietly(grpc::ServerBuilder& builder,
                                                   std::string& reason) {
  std::vector<std::string> held;
  gpr_set_log_function(&LogGrpcMessage);
  {
    absl::MutexLock lock(&grpc_log_mutex);
    held_grpc_log = &held;
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  {
    absl::MutexLock lock(&grpc_log_mutex);
    held_grpc_log = nullptr;
  }
  if (server == nullptr && !held.empty()) {
    absl::string_view first = held.front();
    first = first.substr(first.find("] ") + 2);
    reason = std::string(first.substr(0, first.find(" {")));
  } else {
    for (const std::string& line : held) {
      std::cerr << line << std::endl;
    }
  }
  return server;
}

// Plaintext without `tls`, else TLS presenting its identity (no client
// certificates asked for).
std::shared_ptr<grpc::ServerCredentials> ServerCredentials(
    const std::optional<ServerTlsConfig>& tls) {
  if (!tls.has_value()) {
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back(
      {.private_key = tls->private_key_pem, .cert_chain = tls->cert_chain_pem});
  return grpc::SslServerCredentials(options);
}

// The metrics endpoint, when --metrics_listen asks for one: started before
// the gRPC server, so its port is known to be ours before any call is served.
struct Metrics {
  std::shared_ptr<ServiceMetrics> counters;
  std::unique_ptr<MetricsServer> server;
};
absl::StatusOr<Metrics> StartMetrics(const ServerOptions& options) {
  Metrics metrics;
  if (options.metrics_listen.empty()) {
    return metrics;
  }
  metrics.counters = std::make_shared<ServiceMetrics>(options.metrics_service,
                                                      options.db_pool_stats);
  absl::StatusOr<std::unique_ptr<MetricsServer>> started =
      MetricsServer::Start(options.metrics_listen, metrics.counters);
  if (!started.ok()) {
    return started.status();
  }
  metrics.server = *std::move(started);
  return metrics;
}

// The gRPC server serving `service` (with health, reflection and, with
// `metrics`, its interceptor), started on options.listen.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(
    grpc::Service& service, const ServerOptions& options,
    const std::optional<ServerTlsConfig>& tls,
    const std::shared_ptr<ServiceMetrics>& metrics, int& port) {
  // Referencing a health message links its descriptors in, so reflection
  // clients can call grpc.health.v1.Health by name (gRPC's built-in health
  // service carries no descriptors).
  grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, ServerCredentials(tls), &port);
  // gRPC enables SO_REUSEPORT by default: a second server on a taken port would
  // silently share it.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(&service);
  if (options.configure_builder) {
    options.configure_builder(builder);
  }
  if (metrics != nullptr) {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(NewMetricsInterceptorFactory(metrics));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
  }
  std::string reason = "malformed address or port in use";
  std::unique_ptr<grpc::Server> server = BuildAndStartQuietly(builder, reason);
  if (server == nullptr || port == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot listen on ", options.listen, ": ", reason,
        tls.has_value() ? " (is --tls_key the key of --tls_cert?)" : ""));
  }
  return server;
}

}  // namespace

std::string BoundAddress(const std::string& listen, int port) {
  const size_t colon = listen.rfind(':');
  return absl::StrCat(listen.substr(0, colon), ":", port);
}

void WaitForTerminationSignal(absl::Duration grace) {
  sigset_t signals = TerminationSignals();
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::cerr << ProgramName() << ": " << strsignal(signal_number)
            << ": draining, grace " << absl::FormatDuration(grace) << std::endl;
}

void BlockTerminationSignals() {
  sigset_t signals = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

absl::Status RunServer(grpc::Service& service, const DbOptions& db,
                       const ServerOptions& options) {
  RETURN_IF_ERROR(CheckListenAddress(options.listen));
  RETURN_IF_ERROR(CheckCanListen(options.listen));
  ASSIGN_OR_RETURN(const std::optional<ServerTlsConfig> tls,
                   ServerTlsFromFlags());
  // Announced after the gRPC server, so "listening on" stays the first line.
  ASSIGN_OR_RETURN(Metrics metrics, StartMetrics(options));
  int port = 0;
  ASSIGN_OR_RETURN(
      std::unique_ptr<grpc::Server> server,
      StartGrpcServer(service, options, tls, metrics.counters, port));
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  health->SetServingStatus("", true);
  health->SetServingStatus(kItemServiceName, true);

  DbProbe probe(db);
  absl::Notification stop_health;
  std::thread health_thread([&] {
    RunHealthLoop(*health, probe, db, options.health_check_interval,
                  stop_health);
  });

  if (tls.has_value()) {
    std::cerr << ProgramName() << ": serving TLS (--tls_cert, --tls_key)"
              << std::endl;
  }
  std::cout << "listening on " << BoundAddress(options.listen, port)
            << std::endl;
  if (metrics.server != nullptr) {
    std::cout << "metrics on " << metrics.server->address() << std::endl;
  }

  WaitForTerminationSignal(options.shutdown_grace);
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
  // Before returning: the gauges sample a pool the caller is about to destroy.
  metrics.server.reset();
  std::cerr << ProgramName() << ": stopped" << std::endl;
  return absl::OkStatus();
}

}  // namespace asyncgrpc
