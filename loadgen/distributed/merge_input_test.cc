#include "loadgen/distributed/merge_input.h"

#include <google/protobuf/util/message_differencer.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "loadgen/distributed/framing.h"
#include "loadgen/distributed/merge.h"
#include "loadgen/distributed/test_shards.h"
#include "loadgen/report/outputs.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;
using google::protobuf::util::MessageDifferencer;
using test_shards::kShards;
using test_shards::Shard;

std::string Framed(const pb::Results& results) {
  absl::StatusOr<std::string> framed = FrameResults(results);
  EXPECT_TRUE(framed.ok()) << framed.status();
  return *framed;
}

class ReadMergeInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/loadgen-merge-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    std::filesystem::create_directories(
        std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::string dir_;
};

TEST_F(ReadMergeInputTest, DirectoriesFilesAndLogs) {
  Write("run0/results.json", *ResultsToJson(Shard(0)));
  const std::string file = Write("one.json", *ResultsToJson(Shard(1)));
  const std::string log = Write(
      "pods.log", absl::StrCat("noise\n", Framed(Shard(2)), Framed(Shard(0))));

  absl::StatusOr<std::vector<MergeInput>> in = ReadMergeInput(dir_ + "/run0");
  ASSERT_TRUE(in.ok()) << in.status();
  ASSERT_EQ(in->size(), 1u);
  EXPECT_EQ((*in)[0].source, dir_ + "/run0/results.json");
  EXPECT_TRUE(MessageDifferencer::Equals((*in)[0].results, Shard(0)));

  in = ReadMergeInput(file);
  ASSERT_TRUE(in.ok()) << in.status();
  ASSERT_EQ(in->size(), 1u);
  EXPECT_EQ((*in)[0].results.config().shard_index(), 1);

  in = ReadMergeInput(log);
  ASSERT_TRUE(in.ok()) << in.status();
  ASSERT_EQ(in->size(), 2u);
  EXPECT_EQ((*in)[0].source, log + ":2");
  EXPECT_EQ((*in)[0].results.config().shard_index(), 2);
  EXPECT_EQ((*in)[1].source, log + ":5");
  EXPECT_TRUE(MessageDifferencer::Equals((*in)[1].results, Shard(0)));
}

TEST_F(ReadMergeInputTest, MissingAndUnreadableInputsNameThePath) {
  absl::StatusOr<std::vector<MergeInput>> in =
      ReadMergeInput(dir_ + "/nothing");
  EXPECT_TRUE(absl::IsNotFound(in.status())) << in.status();
  EXPECT_TRUE(absl::StrContains(in.status().message(), dir_ + "/nothing"));

  in = ReadMergeInput(dir_);  // A directory without results.json.
  EXPECT_TRUE(absl::IsNotFound(in.status())) << in.status();

  in = ReadMergeInput(Write("junk.txt", "not json at all\n"));
  EXPECT_TRUE(absl::IsInvalidArgument(in.status())) << in.status();
  EXPECT_TRUE(absl::StrContains(in.status().message(), "junk.txt"));

  in = ReadMergeInput(Write(
      "bad.log",
      absl::StrCat(kResultsBegin, "\n{\"nope\":1}\n", kResultsEnd, "\n")));
  EXPECT_TRUE(absl::IsInvalidArgument(in.status())) << in.status();
  EXPECT_TRUE(absl::StrContains(in.status().message(), "bad.log:1"))
      << in.status();

  in = ReadMergeInput(Write("cut.log", absl::StrCat(kResultsBegin, "\n{")));
  EXPECT_TRUE(absl::IsInvalidArgument(in.status())) << in.status();
  EXPECT_TRUE(absl::StrContains(in.status().message(), "cut.log: line 1"))
      << in.status();
}

TEST_F(ReadMergeInputTest, MergingALogEqualsMergingTheFiles) {
  std::vector<MergeInput> from_files;
  std::string log;
  for (int index = 0; index < kShards; ++index) {
    absl::StatusOr<std::vector<MergeInput>> in = ReadMergeInput(
        Write(absl::StrCat("s", index, ".json"), *ResultsToJson(Shard(index))));
    ASSERT_TRUE(in.ok()) << in.status();
    from_files.push_back((*in)[0]);
    absl::StrAppend(&log, "[pod/", index, "] progress\n", Framed(Shard(index)));
  }
  absl::StatusOr<std::vector<MergeInput>> from_log =
      ReadMergeInput(Write("all.log", log));
  ASSERT_TRUE(from_log.ok()) << from_log.status();
  absl::StatusOr<pb::Results> a = MergeShards(from_files, "m");
  absl::StatusOr<pb::Results> b = MergeShards(*from_log, "m");
  ASSERT_TRUE(a.ok() && b.ok());
  a->clear_shards();
  b->clear_shards();
  EXPECT_TRUE(MessageDifferencer::Equals(*a, *b));
}

}  // namespace
}  // namespace asyncgrpc::loadgen
