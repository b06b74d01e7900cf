// Start-up errors a CLI user can make: each must print one clear line on stderr
// and exit 2, never crash or hang. FlagTable covers every flag --help lists,
// each with a malformed value and, where the flag has a range, values outside
// it.
#include <sys/wait.h>

#include <fstream>
#include <optional>
#include <regex>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/service_harness.h"
#include "tests/support/ports.h"
#include "tests/support/postgres_cluster.h"

namespace asyncgrpc::testing {
namespace {

struct Outcome {
  int exit_code = -1;
  std::string stderr_text;
};

// Runs the binary with stderr captured (RunCommand captures stdout, so swap
// them through a shell).
Outcome RunService(const ServiceKind& kind,
                   const std::vector<std::string>& flags) {
  std::string command = BinaryPath(kind.binary);
  for (const std::string& flag : flags) {
    absl::StrAppend(&command, " '", flag, "'");
  }
  absl::StrAppend(&command, " 2>&1 >/dev/null");
  Outcome outcome;
  absl::StatusOr<std::string> output = RunCommand(
      {"/bin/sh", "-c", command}, absl::Seconds(20), &outcome.exit_code);
  EXPECT_TRUE(output.ok()) << output.status();
  outcome.stderr_text = output.value_or("");
  return outcome;
}

// The flag names a binary's --help lists.
std::set<std::string> FlagsInHelp(const std::string& binary) {
  int exit_code = -1;
  absl::StatusOr<std::string> help =
      RunCommand({BinaryPath(binary), "--help"}, absl::Seconds(20), &exit_code);
  EXPECT_TRUE(help.ok()) << help.status();
  EXPECT_EQ(exit_code, 0);
  std::set<std::string> names;
  const std::string text = help.value_or("");
  const std::regex flag_line(R"(\n  --([a-z_0-9]+) \(default)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), flag_line);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1]);
  }
  return names;
}

// One bad value: the arguments to add to a valid --db, and the text the error
// line must contain.
struct BadFlag {
  std::string flag;  // The flag under test, for the --help coverage check.
  std::vector<std::string> args;
  std::string expected_text;
};

class StartupTest : public ::testing::TestWithParam<ServiceKind> {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<TempDir> dir = TempDir::Create("asyncgrpc-startup-");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = new TempDir(*std::move(dir));
    absl::StatusOr<TlsFiles> tls = MakeSelfSignedCert(dir_->path(), "server");
    ASSERT_TRUE(tls.ok()) << tls.status();
    tls_ = new TlsFiles(*tls);
    not_pem_ = dir_->path() + "/not-a-pem.txt";
    std::ofstream(not_pem_) << "hello, not a certificate\n";
  }
  static void TearDownTestSuite() {
    delete tls_;
    delete dir_;
  }

  void ExpectUsageError(const std::vector<std::string>& flags,
                        const std::string& expected_text) {
    Outcome outcome = RunService(GetParam(), flags);
    EXPECT_EQ(outcome.exit_code, 2) << outcome.stderr_text;
    std::vector<std::string> lines =
        absl::StrSplit(outcome.stderr_text, '\n', absl::SkipEmpty());
    EXPECT_EQ(lines.size(), 1u) << outcome.stderr_text;
    EXPECT_NE(outcome.stderr_text.find(expected_text), std::string::npos)
        << outcome.stderr_text;
  }

  std::string Db() { return absl::StrCat("--db=", SharedDatabaseUri()); }

  // Bad values for the flags both services share.
  std::vector<BadFlag> SharedFlagTable() {
    const std::string cert = "--tls_cert=" + tls_->cert_path;
    const std::string key = "--tls_key=" + tls_->key_path;
    return {
        {"db", {"--db=postgresql://[::1"}, "--db"},
        {"db", {"--db=host=127.0.0.1 port"}, "--db"},
        {"db",
         {"--db=postgresql://asyncgrpc@127.0.0.1:notaport/items"},
         "port"},
        {"db_pool_size", {"--db_pool_size=many"}, "--db_pool_size"},
        {"db_pool_size", {"--db_pool_size=0"}, "--db_pool_size"},
        {"db_pool_size", {"--db_pool_size=-3"}, "--db_pool_size"},
        {"db_pool_size", {"--db_pool_size=10001"}, "--db_pool_size"},
        {"db_pool_size", {"--db_pool_size=99999999999"}, "--db_pool_size"},
        {"db_connect_per_request",
         {"--db_connect_per_request=maybe"},
         "--db_connect_per_request"},
        {"db_acquire_timeout",
         {"--db_acquire_timeout=soon"},
         "--db_acquire_timeout"},
        {"db_acquire_timeout",
         {"--db_acquire_timeout=5"},
         "--db_acquire_timeout"},
        {"db_acquire_timeout",
         {"--db_acquire_timeout=0s"},
         "--db_acquire_timeout"},
        {"db_acquire_timeout",
         {"--db_acquire_timeout=-1s"},
         "--db_acquire_timeout"},
        {"db_acquire_timeout",
         {"--db_acquire_timeout=inf"},
         "--db_acquire_timeout"},
        {"db_acquire_timeout",
         {"--db_acquire_timeout=2h"},
         "--db_acquire_timeout"},
        {"db_connect_timeout",
         {"--db_connect_timeout=x"},
         "--db_connect_timeout"},
        {"db_connect_timeout",
         {"--db_connect_timeout=0"},
         "--db_connect_timeout"},
        {"db_connect_timeout",
         {"--db_connect_timeout=inf"},
         "--db_connect_timeout"},
        {"shutdown_grace", {"--shutdown_grace=soon"}, "--shutdown_grace"},
        {"shutdown_grace", {"--shutdown_grace=-1s"}, "--shutdown_grace"},
        {"shutdown_grace", {"--shutdown_grace=inf"}, "--shutdown_grace"},
        {"health_check_interval",
         {"--health_check_interval=often"},
         "--health_check_interval"},
        {"health_check_interval",
         {"--health_check_interval=0s"},
         "--health_check_interval"},
        {"health_check_interval",
         {"--health_check_interval=1ms"},
         "--health_check_interval"},
        {"health_check_interval",
         {"--health_check_interval=inf"},
         "--health_check_interval"},
        {"upstream_delay", {"--upstream_delay=slow"}, "--upstream_delay"},
        {"upstream_delay", {"--upstream_delay=-1s"}, "--upstream_delay"},
        {"upstream_delay", {"--upstream_delay=2h"}, "--upstream_delay"},
        {"upstream_delay", {"--upstream_delay=inf"}, "--upstream_delay"},
        {"listen", {"--listen=not-an-address"}, "--listen"},
        {"listen", {"--listen="}, "--listen"},
        {"listen", {"--listen=:50051"}, "--listen"},
        {"listen", {"--listen=127.0.0.1:99999"}, "--listen"},
        {"listen", {"--listen=127.0.0.1:-1"}, "--listen"},
        {"listen", {"--listen=no-such-host.invalid:0"}, "cannot resolve"},
        {"listen", {"--listen=256.1.1.1:0"}, "cannot listen"},
        {"listen", {"--listen=unix:/nonexistent/dir/socket"}, "cannot listen"},
        {"tls_cert", {cert}, "--tls_key"},
        {"tls_cert", {"--tls_cert=/nonexistent.pem", key}, "--tls_cert"},
        {"tls_cert", {"--tls_cert=" + not_pem_, key}, "--tls_cert"},
        {"tls_cert", {"--tls_cert=" + tls_->key_path, key}, "--tls_cert"},
        {"tls_cert", {"--tls_cert=" + dir_->path(), key}, "--tls_cert"},
        {"tls_key", {key}, "--tls_cert"},
        {"tls_key", {cert, "--tls_key=/nonexistent.key"}, "--tls_key"},
        {"tls_key", {cert, "--tls_key=" + not_pem_}, "--tls_key"},
        {"tls_key", {cert, "--tls_key=" + tls_->cert_path}, "--tls_key"},
        {"tls_key", {cert, "--tls_key=/dev/zero"}, "--tls_key"},
        {"metrics_listen",
         {"--metrics_listen=not-an-address"},
         "--metrics_listen"},
        {"metrics_listen", {"--metrics_listen=:9090"}, "--metrics_listen"},
        {"metrics_listen", {"--metrics_listen=127.0.0.1"}, "--metrics_listen"},
        {"metrics_listen",
         {"--metrics_listen=127.0.0.1:99999"},
         "--metrics_listen"},
        {"metrics_listen",
         {"--metrics_listen=127.0.0.1:-1"},
         "--metrics_listen"},
        {"metrics_listen", {"--metrics_listen=[::1]:0"}, "--metrics_listen"},
        {"metrics_listen",
         {"--listen=127.0.0.1:0", "--metrics_listen=no-such-host.invalid:0"},
         "cannot resolve"},
        {"metrics_listen",
         {"--listen=127.0.0.1:0", "--metrics_listen=256.1.1.1:0"},
         "--metrics_listen"},
        {"metrics_listen",
         {"--listen=127.0.0.1:0", "--metrics_listen=192.0.2.1:0"},
         "--metrics_listen: cannot listen"},
        {"serve_from_memory",
         {"--serve_from_memory=sometimes"},
         "--serve_from_memory"},
    };
  }

  // Bad values for the service's own concurrency flags.
  std::vector<BadFlag> OwnFlagTable() {
    if (GetParam().name == "sync") {
      return {
          {"max_threads", {"--max_threads=lots"}, "--max_threads"},
          {"max_threads", {"--max_threads=1"}, "--max_threads"},
          {"max_threads", {"--max_threads=-5"}, "--max_threads"},
          {"max_pollers", {"--max_pollers=x"}, "--max_pollers"},
          {"max_pollers", {"--max_pollers=-1"}, "--max_pollers"},
          {"max_pollers", {"--max_pollers=300"}, "--max_pollers"},
      };
    }
    return {
        {"event_loops", {"--event_loops=x"}, "--event_loops"},
        {"event_loops", {"--event_loops=0"}, "--event_loops"},
        {"event_loops", {"--event_loops=65"}, "--event_loops"},
        {"pipeline_depth", {"--pipeline_depth=deep"}, "--pipeline_depth"},
        {"pipeline_depth", {"--pipeline_depth=0"}, "--pipeline_depth"},
        {"pipeline_depth", {"--pipeline_depth=1025"}, "--pipeline_depth"},
        {"max_pending", {"--max_pending=x"}, "--max_pending"},
        {"max_pending", {"--max_pending=-1"}, "--max_pending"},
    };
  }

  static TempDir* dir_;
  static TlsFiles* tls_;
  static std::string not_pem_;
};

TempDir* StartupTest::dir_ = nullptr;
TlsFiles* StartupTest::tls_ = nullptr;
std::string StartupTest::not_pem_;

// Every flag --help lists, with every kind of bad value it can get: one line
// naming the flag, exit 2, before the service serves anything.
TEST_P(StartupTest, FlagTable) {
  std::vector<BadFlag> table = SharedFlagTable();
  for (BadFlag& row : OwnFlagTable()) {
    table.push_back(std::move(row));
  }
  std::set<std::string> covered;
  for (const BadFlag& row : table) {
    SCOPED_TRACE(absl::StrJoin(row.args, " "));
    covered.insert(row.flag);
    std::vector<std::string> args = {Db()};
    args.insert(args.end(), row.args.begin(), row.args.end());
    ExpectUsageError(args, row.expected_text);
  }
  for (const std::string& flag : FlagsInHelp(GetParam().binary)) {
    EXPECT_TRUE(covered.count(flag)) << "--" << flag << " has no bad-value row";
  }
}

// TLS flags that are fine on their own but do not fit together: the key is
// another certificate's.
TEST_P(StartupTest, TlsKeyOfAnotherCertificate) {
  absl::StatusOr<TlsFiles> other = MakeSelfSignedCert(dir_->path(), "other");
  ASSERT_TRUE(other.ok()) << other.status();
  ExpectUsageError(
      {Db(), "--tls_cert=" + tls_->cert_path, "--tls_key=" + other->key_path},
      "cannot listen");
}

TEST_P(StartupTest, UnknownFlag) {
  ExpectUsageError({"--no_such_flag=1"}, "unknown flag --no_such_flag");
}

TEST_P(StartupTest, MalformedFlagValue) {
  ExpectUsageError({"--db_pool_size=many"}, "--db_pool_size");
  ExpectUsageError({"--shutdown_grace=soon"}, "--shutdown_grace");
}

TEST_P(StartupTest, OutOfRangeValues) {
  ExpectUsageError({Db(), "--db_pool_size=0"}, "--db_pool_size");
  ExpectUsageError({Db(), "--db_acquire_timeout=0s"}, "--db_acquire_timeout");
  ExpectUsageError({Db(), "--upstream_delay=-1s"}, "--upstream_delay");
}

// Each service's own concurrency flags.
TEST_P(StartupTest, OutOfRangeConcurrencyFlags) {
  const std::vector<std::vector<std::string>> cases =
      GetParam().name == "sync"
          ? std::vector<std::vector<std::string>>{{"--max_threads=1"},
                                                  {"--max_pollers=-1"}}
          : std::vector<std::vector<std::string>>{{"--event_loops=0"},
                                                  {"--pipeline_depth=0"},
                                                  {"--max_pending=-1"}};
  for (const std::vector<std::string>& flags : cases) {
    std::vector<std::string> args = flags;
    args.push_back(Db());
    ExpectUsageError(args, flags[0].substr(0, flags[0].find('=')));
  }
}

TEST_P(StartupTest, MalformedConnectionString) {
  ExpectUsageError({"--db=postgresql://[::1"}, "--db");
}

TEST_P(StartupTest, UnreachableDatabase) {
  const int port = PickFreePort();
  ExpectUsageError(
      {absl::StrCat("--db=postgresql://asyncgrpc@127.0.0.1:", port, "/items"),
       "--db_connect_timeout=1s"},
      "cannot connect to the database");
}

TEST_P(StartupTest, DatabaseWithoutTheSchema) {
  std::string uri = SharedDatabaseUri();
  uri = uri.substr(0, uri.rfind('/')) + "/postgres";
  ExpectUsageError({absl::StrCat("--db=", uri)}, "items");
}

TEST_P(StartupTest, MalformedListenAddress) {
  ExpectUsageError({Db(), "--listen=not-an-address"}, "--listen");
  ExpectUsageError({Db(), "--listen=127.0.0.1:99999"}, "--listen");
}

TEST_P(StartupTest, ListenPortInUse) {
  auto first = RunningService::Start(GetParam(), SharedDatabaseUri());
  ASSERT_TRUE(first.ok()) << first.status();
  Outcome outcome = RunService(
      GetParam(), {Db(), absl::StrCat("--listen=", (*first)->address())});
  EXPECT_EQ(outcome.exit_code, 2) << outcome.stderr_text;
  EXPECT_NE(outcome.stderr_text.find("cannot listen"), std::string::npos)
      << outcome.stderr_text;
}

TEST_P(StartupTest, HelpExitsZero) {
  Outcome outcome = RunService(GetParam(), {"--help"});
  EXPECT_EQ(outcome.exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Services, StartupTest,
                         ::testing::ValuesIn(AllServices()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace asyncgrpc::testing
