// `loadgen identical` end to end: the real loadgen binary against real
// services on a real PostgreSQL. The sync and the async service on one
// database answer alike (exit 0, one line on stdout); two services on
// databases of different sizes do not (exit 1, one line on stderr naming the
// request); bad input and an unreachable target stop with one line, exit 2.
#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/service_harness.h"
#include "tests/support/ports.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/subprocess.h"

namespace asyncgrpc::testing {
namespace {

struct IdenticalRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

int Lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

class LoadgenIdenticalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("asyncgrpc-identical-");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_.emplace(*std::move(dir));
  }

  // Runs `loadgen identical ARGS...`, stdout and stderr apart.
  IdenticalRun RunIdentical(const std::vector<std::string>& args) {
    const std::string err_path = dir_->path() + "/stderr";
    std::string command = absl::StrCat("'", BinaryPath("loadgen"), "'");
    for (const std::string& arg : args) {
      absl::StrAppend(&command, " '", arg, "'");
    }
    absl::StrAppend(&command, " 2>'", err_path, "'");
    IdenticalRun run;
    auto out = RunCommand({"/bin/sh", "-c", command}, absl::Seconds(120),
                          &run.exit_code);
    EXPECT_TRUE(out.ok()) << out.status();
    run.out = out.value_or("");
    std::ifstream in(err_path);
    std::stringstream err;
    err << in.rdbuf();
    run.err = err.str();
    return run;
  }

  std::optional<TempDir> dir_;
};

TEST_F(LoadgenIdenticalTest, SyncAndAsyncOnOneDatabaseAnswerAlike) {
  auto sync = RunningService::Start(SyncService(), SharedDatabaseUri());
  ASSERT_TRUE(sync.ok()) << sync.status();
  auto async = RunningService::Start(AsyncService(), SharedDatabaseUri());
  ASSERT_TRUE(async.ok()) << async.status();
  IdenticalRun run = RunIdentical(
      {"identical", absl::StrCat("--target=sync=", (*sync)->address()),
       absl::StrCat("--target=async=", (*async)->address())});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  // 1 full listing, 3 pages of 100, a garbled token, 20 spread GetItems, id 0
  // and an id above the largest.
  EXPECT_EQ(run.out,
            "identical: 27 requests, same status and byte-identical answers "
            "from sync and async\n");
  EXPECT_EQ(run.err, "");
}

TEST_F(LoadgenIdenticalTest, ServicesOnDifferentDataDiffer) {
  // The shared database holds 800 items; this one 801.
  auto cluster = PostgresCluster::Start(dir_->path() + "/pgdata", 0, 801);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  auto small = RunningService::Start(SyncService(), SharedDatabaseUri());
  ASSERT_TRUE(small.ok()) << small.status();
  auto large = RunningService::Start(AsyncService(), (*cluster)->uri());
  ASSERT_TRUE(large.ok()) << large.status();
  IdenticalRun run = RunIdentical(
      {"identical", absl::StrCat("--target=small=", (*small)->address()),
       absl::StrCat("--target=large=", (*large)->address())});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(Lines(run.err), 1) << run.err;
  // The whole table in one page: 800 items against 801, the first request.
  EXPECT_TRUE(
      run.err.starts_with("loadgen: answers differ: ListItems {}: "
                          "small "))
      << run.err;
  EXPECT_NE(run.err.find("first difference at byte"), std::string::npos)
      << run.err;
}

TEST_F(LoadgenIdenticalTest, BadInputAndAnUnreachableTargetStopWithOneLine) {
  auto async = RunningService::Start(AsyncService(), SharedDatabaseUri());
  ASSERT_TRUE(async.ok()) << async.status();
  const std::string good = absl::StrCat("--target=async=", (*async)->address());
  const std::string nobody =
      absl::StrCat("--target=nobody=127.0.0.1:", PickFreePort());
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"identical", good}, "exactly two --target"},
           {{"identical"}, "exactly two --target"},
           {{"identical", good, good, good}, "exactly two --target"},
           {{"identical", good, "--target=nonsense"}, "--target"},
           {{"identical", good, good}, "given twice"},
           {{"identical", "extra", good, nobody}, "unknown command"},
           {{"identical", good, nobody}, "cannot reach target nobody"},
       }) {
    IdenticalRun run = RunIdentical(c.args);
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_EQ(run.out, "");
    EXPECT_EQ(Lines(run.err), 1) << run.err;
    EXPECT_NE(run.err.find(c.message), std::string::npos)
        << c.message << " not in: " << run.err;
  }
}

}  // namespace
}  // namespace asyncgrpc::testing
