#include "loadgen/report/outputs.h"

#include <stdlib.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loadgen/results.pb.h"
#include "tests/support/postgres_cluster.h"

namespace asyncgrpc::loadgen {
namespace {

using ::loadgen::v1::Results;
using ::loadgen::v1::Step;
using ::loadgen::v1::TargetResult;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kStepsHeader[] =
    "target,step,load,rps,p50_ms,p90_ms,p95_ms,p99_ms,p999_ms,max_ms,requests,"
    "ok,error_ratio,errors,valid,invalid_reason,loadgen_cpu_cores,achieved_"
    "rate,uncorrected_p99_ms,cpu_per_call_us_loadgen,cpu_per_call_us_server,"
    "cpu_per_call_us_db,context_switches_per_call_server";

// A fresh directory under /tmp, removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    absl::StatusOr<asyncgrpc::testing::TempDir> dir =
        asyncgrpc::testing::TempDir::Create("outputs_test-");
    EXPECT_TRUE(dir.ok()) << dir.status();
    dir_.emplace(*std::move(dir));
  }
  std::filesystem::path path() const { return dir_->path(); }

 private:
  std::optional<asyncgrpc::testing::TempDir> dir_;
};

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

// steps.csv as rows of cells, header first (no field here holds a comma).
std::vector<std::vector<std::string>> StepsCsv(const Results& results) {
  ScratchDir dir;
  const absl::Status status = WriteOutputs(results, dir.path().string());
  EXPECT_TRUE(status.ok()) << status;
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(
           ReadAll(dir.path() / "steps.csv"), '\n', absl::SkipEmpty())) {
    rows.push_back(absl::StrSplit(line, ','));
  }
  return rows;
}

Step* AddStep(TargetResult* target, int index) {
  Step* step = target->add_steps();
  step->set_index(index);
  step->set_users(10 * index);
  step->set_requests(1000);
  step->set_ok(1000);
  step->set_valid(true);
  return step;
}

TEST(StepsCsvTest, HeaderKeepsTheOldColumnsFirst) {
  Results results;
  results.mutable_config()->set_mode("closed");
  AddStep(results.add_targets(), 1);
  results.mutable_targets(0)->set_name("sync");
  ScratchDir dir;
  ASSERT_TRUE(WriteOutputs(results, dir.path().string()).ok());
  const std::string csv = ReadAll(dir.path() / "steps.csv");
  EXPECT_THAT(csv, StartsWith(std::string(kStepsHeader) + "\n"));
  // The columns scripts read by position have not moved.
  EXPECT_THAT(csv, StartsWith("target,step,load,rps,p50_ms,p90_ms,p95_ms,"
                              "p99_ms,p999_ms,max_ms,requests,ok,error_ratio,"
                              "errors,valid,invalid_reason,loadgen_cpu_cores,"
                              "achieved_rate,uncorrected_p99_ms,"));
}

TEST(StepsCsvTest, WritesCpuPerCallOfEachProcessOrEmptyCells) {
  Results results;
  results.mutable_config()->set_mode("closed");
  for (const char* name : {"sync", "async"}) {
    results.add_targets()->set_name(name);
  }
  // sync: every process measured on step 1, none on step 2.
  Step* measured = AddStep(results.mutable_targets(0), 1);
  (*measured->mutable_cpu_per_call_us())["loadgen"] = 12.5;
  (*measured->mutable_cpu_per_call_us())["sync"] = 48.25;
  (*measured->mutable_cpu_per_call_us())["db"] = 101;
  (*measured->mutable_context_switches_per_call())["sync"] = 0.125;
  (*measured->mutable_context_switches_per_call())["db"] = 2;
  AddStep(results.mutable_targets(0), 2);
  // async: only its own server, and another target's key is not its server.
  Step* server_only = AddStep(results.mutable_targets(1), 1);
  (*server_only->mutable_cpu_per_call_us())["async"] = 30;
  (*server_only->mutable_cpu_per_call_us())["sync"] = 999;

  const std::vector<std::vector<std::string>> rows = StepsCsv(results);
  ASSERT_THAT(rows, SizeIs(4));
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < rows[0].size(); ++i) column[rows[0][i]] = i;
  ASSERT_EQ(column.size(), 23u);
  for (const auto& row : rows) ASSERT_EQ(row.size(), rows[0].size());
  auto cell = [&](std::size_t row, const std::string& name) {
    return rows[row][column.at(name)];
  };

  EXPECT_EQ(cell(1, "target"), "sync");
  EXPECT_EQ(cell(1, "step"), "1");
  EXPECT_EQ(cell(1, "cpu_per_call_us_loadgen"), "12.50");
  EXPECT_EQ(cell(1, "cpu_per_call_us_server"), "48.25");
  EXPECT_EQ(cell(1, "cpu_per_call_us_db"), "101.00");
  EXPECT_EQ(cell(1, "context_switches_per_call_server"), "0.1250");

  EXPECT_EQ(cell(2, "step"), "2");
  for (const char* name :
       {"cpu_per_call_us_loadgen", "cpu_per_call_us_server",
        "cpu_per_call_us_db", "context_switches_per_call_server"}) {
    EXPECT_EQ(cell(2, name), "") << name;
  }

  EXPECT_EQ(cell(3, "target"), "async");
  EXPECT_EQ(cell(3, "cpu_per_call_us_loadgen"), "");
  EXPECT_EQ(cell(3, "cpu_per_call_us_server"), "30.00");
  EXPECT_EQ(cell(3, "cpu_per_call_us_db"), "");
  EXPECT_EQ(cell(3, "context_switches_per_call_server"), "");
}

}  // namespace
}  // namespace asyncgrpc::loadgen
