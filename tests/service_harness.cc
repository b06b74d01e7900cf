#include "tests/service_harness.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/subprocess.h"

namespace asyncgrpc::testing {

void PrintTo(const ServiceKind& kind, std::ostream* os) { *os << kind.name; }

ServiceKind SyncService() {
  return {.name = "sync",
          .binary = "sync_service",
          .application_name = "asyncgrpc-sync"};
}

ServiceKind AsyncService() {
  return {.name = "async",
          .binary = "async_service",
          .application_name = "asyncgrpc-async",
          .one_query_per_connection_flags = {"--pipeline_depth=1"}};
}

std::vector<ServiceKind> AllServices() {
  return {SyncService(), AsyncService()};
}

std::string BinaryPath(const std::string& binary) {
  return absl::StrCat(ASYNCGRPC_BINARY_DIR, "/", binary);
}

absl::StatusOr<std::unique_ptr<RunningService>> RunningService::Start(
    const ServiceKind& kind, const std::string& db_uri,
    std::vector<std::string> flags, StartOptions options) {
  std::vector<std::string> argv = {
      BinaryPath(kind.binary), "--listen=127.0.0.1:0",
      absl::StrCat("--db=", db_uri), "--health_check_interval=200ms"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  if (options.capture_stderr) {
    // The shell execs the service, so the child's pid stays the service's.
    argv.insert(argv.begin(), {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1"});
  }
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(std::move(argv));
  if (!process.ok()) {
    return process.status();
  }
  absl::StatusOr<int> port = ReadListeningPort(**process, absl::Seconds(20));
  if (!port.ok()) {
    return port.status();
  }
  return std::unique_ptr<RunningService>(new RunningService(
      *std::move(process), absl::StrCat("127.0.0.1:", *port), options.tls));
}

std::shared_ptr<grpc::Channel> RunningService::NewChannel() const {
  return NewChannel(tls_);
}

std::shared_ptr<grpc::Channel> RunningService::NewChannel(
    const std::optional<ClientTls>& tls) const {
  grpc::ChannelArguments args;
  // Distinct args keep channels from sharing one TCP connection.
  static std::atomic<int> channel_index = 0;
  args.SetInt("asyncgrpc.test_channel", channel_index++);
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::InsecureChannelCredentials();
  if (tls.has_value()) {
    credentials = grpc::SslCredentials({.pem_root_certs = tls->root_certs_pem});
    if (!tls->server_name.empty()) {
      args.SetSslTargetNameOverride(tls->server_name);
    }
  }
  return grpc::CreateCustomChannel(address_, credentials, args);
}

std::unique_ptr<items::v1::ItemService::Stub> RunningService::NewStub() const {
  return items::v1::ItemService::NewStub(NewChannel());
}

absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus>
RunningService::Health(const std::string& service) const {
  auto stub = grpc::health::v1::Health::NewStub(NewChannel());
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  auto context = ContextWithTimeout(absl::Seconds(2));
  grpc::Status status = stub->Check(context.get(), request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  return response.status();
}

std::unique_ptr<grpc::ClientContext> ContextWithTimeout(
    absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

absl::StatusOr<TlsFiles> MakeSelfSignedCert(const std::string& dir,
                                            const std::string& name) {
  TlsFiles files = {.cert_path = absl::StrCat(dir, "/", name, ".crt"),
                    .key_path = absl::StrCat(dir, "/", name, ".key")};
  int exit_code = -1;
  absl::StatusOr<std::string> output = RunCommand(
      {"/bin/sh", "-c",
       absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
                    "-subj /CN=localhost "
                    "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
                    "-keyout '",
                    files.key_path, "' -out '", files.cert_path, "' 2>&1")},
      absl::Seconds(60), &exit_code);
  if (!output.ok()) {
    return output.status();
  }
  if (exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("openssl req failed (", exit_code, "): ", *output));
  }
  std::ifstream in(files.cert_path);
  std::stringstream pem;
  pem << in.rdbuf();
  files.cert_pem = pem.str();
  if (files.cert_pem.empty()) {
    return absl::InternalError(
        absl::StrCat("openssl wrote no ", files.cert_path));
  }
  return files;
}

const std::string& SharedDatabaseUri() {
  static const std::string* uri = [] {
    std::string shared = PostgresCluster::SharedUri();
    if (!shared.empty()) {
      return new std::string(shared);
    }
    // Lives until the process exits; the cluster is stopped by its destructor
    // at exit.
    static absl::StatusOr<TempDir> dir = TempDir::Create();
    static absl::StatusOr<std::unique_ptr<PostgresCluster>> cluster =
        dir.ok()
            ? PostgresCluster::Start(dir->path() + "/pgdata")
            : absl::StatusOr<std::unique_ptr<PostgresCluster>>(dir.status());
    if (!cluster.ok()) {
      std::cerr << "cannot start a test database: " << cluster.status()
                << std::endl;
      std::abort();
    }
    return new std::string((*cluster)->uri());
  }();
  return *uri;
}

}  // namespace asyncgrpc::testing
