#include "tests/service_harness.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "tests/support/postgres_cluster.h"

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
    std::vector<std::string> flags) {
  std::vector<std::string> argv = {
      BinaryPath(kind.binary), "--listen=127.0.0.1:0",
      absl::StrCat("--db=", db_uri), "--health_check_interval=200ms"};
  argv.insert(argv.end(), flags.begin(), flags.end());
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
      *std::move(process), absl::StrCat("127.0.0.1:", *port)));
}

std::shared_ptr<grpc::Channel> RunningService::NewChannel() const {
  grpc::ChannelArguments args;
  // Distinct args keep channels from sharing one TCP connection.
  static int channel_index = 0;
  args.SetInt("asyncgrpc.test_channel", channel_index++);
  return grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(),
                                   args);
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
