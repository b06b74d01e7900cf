// Start-up errors a CLI user can make: each must print one clear line on stderr
// and exit 2, never crash or hang.
#include <sys/wait.h>

#include "absl/strings/str_cat.h"
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

class StartupTest : public ::testing::TestWithParam<ServiceKind> {
 protected:
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
};

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
                                                  {"--max_pollers=0"}}
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
