// Runs the project's service binaries as real processes for cross-service
// suites: start one against a database on a free port, talk to it through a
// stub (plaintext, or TLS), read its health, stop it with a signal. Suites are
// parameterised over AllServices(), so every behaviour is checked on each
// concurrency model.
//
//   auto service = RunningService::Start(SyncService(), uri,
//                                        {"--db_pool_size=1"});
//   auto stub = (*service)->NewStub();
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "items/v1/items.grpc.pb.h"
#include "tests/support/subprocess.h"

namespace asyncgrpc::testing {

struct ServiceKind {
  // Test-name friendly: "sync".
  std::string name;
  // File name in the build's bin/ directory.
  std::string binary;
  // What the service sets as application_name in pg_stat_activity.
  std::string application_name;
  // Flags that make each connection run one query at a time (no pipelining), so
  // "pool size N" means N calls at the database for both services.
  std::vector<std::string> one_query_per_connection_flags;
};

// Readable test parameter names in gtest output.
void PrintTo(const ServiceKind& kind, std::ostream* os);

ServiceKind SyncService();
ServiceKind AsyncService();
std::vector<ServiceKind> AllServices();

// The absolute path of a binary built by this project.
std::string BinaryPath(const std::string& binary);

// How clients reach a service that serves TLS.
struct ClientTls {
  // PEM roots the client trusts.
  std::string root_certs_pem;
  // The name the server's certificate must carry; empty: the host of the
  // address (127.0.0.1).
  std::string server_name;
};

struct StartOptions {
  // Set: every channel NewChannel() makes speaks TLS with these settings.
  std::optional<ClientTls> tls;
  // The service's stderr joins its captured stdout (read it with
  // process().ConsumeCapturedStdout()) instead of going to the test log.
  bool capture_stderr = false;
};

class RunningService {
 public:
  // Starts `kind` on 127.0.0.1:0 with --db=`db_uri` plus `flags`, and waits
  // until it serves.
  static absl::StatusOr<std::unique_ptr<RunningService>> Start(
      const ServiceKind& kind, const std::string& db_uri,
      std::vector<std::string> flags = {}, StartOptions options = {});

  const std::string& address() const { return address_; }
  Subprocess& process() { return *process_; }

  // Each stub gets its own channel (and so its own TCP connection), with the
  // TLS settings the service was started with.
  std::unique_ptr<items::v1::ItemService::Stub> NewStub() const;
  std::shared_ptr<grpc::Channel> NewChannel() const;
  // A channel with explicit settings: plaintext when `tls` is empty.
  std::shared_ptr<grpc::Channel> NewChannel(
      const std::optional<ClientTls>& tls) const;

  // The health status of `service` ("" for the whole server), or the call's
  // error.
  absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus> Health(
      const std::string& service) const;

 private:
  RunningService(std::unique_ptr<Subprocess> process, std::string address,
                 std::optional<ClientTls> tls)
      : process_(std::move(process)),
        address_(std::move(address)),
        tls_(std::move(tls)) {}

  std::unique_ptr<Subprocess> process_;
  std::string address_;
  std::optional<ClientTls> tls_;
};

// PEM files of a self-signed certificate for localhost and 127.0.0.1, made
// with openssl.
struct TlsFiles {
  std::string cert_path;
  std::string key_path;
  std::string cert_pem;
};

// Generates a fresh key and self-signed certificate (CN=localhost, subject
// alternative names DNS:localhost and IP:127.0.0.1) in `dir`, named
// `<name>.crt` and `<name>.key`.
absl::StatusOr<TlsFiles> MakeSelfSignedCert(const std::string& dir,
                                            const std::string& name);

// A client context whose deadline is `timeout` from now.
std::unique_ptr<grpc::ClientContext> ContextWithTimeout(absl::Duration timeout);

// The URI of a database with the default 800 items that the whole test binary
// shares: the one the test command started (ASYNCGRPC_TEST_DATABASE_URL), or
// else one this process starts once.
const std::string& SharedDatabaseUri();

}  // namespace asyncgrpc::testing
