#include "loadgen/config.h"

#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

TEST(ParseRampTest, ThreeNumbersGiveTheLevels) {
  absl::StatusOr<Ramp> ramp = ParseRamp("--users", "10:50:10", true);
  ASSERT_TRUE(ramp.ok()) << ramp.status();
  EXPECT_EQ(ramp->Levels(), (std::vector<double>{10, 20, 30, 40, 50}));
}

TEST(ParseRampTest, EndNotOnAStepStopsBelowIt) {
  absl::StatusOr<Ramp> ramp = ParseRamp("--users", "10:45:10", true);
  ASSERT_TRUE(ramp.ok());
  EXPECT_EQ(ramp->Levels(), (std::vector<double>{10, 20, 30, 40}));
}

TEST(ParseRampTest, FractionalRatesKeepTheirEnd) {
  absl::StatusOr<Ramp> ramp = ParseRamp("--rate", "0.1:0.3:0.1", false);
  ASSERT_TRUE(ramp.ok());
  EXPECT_EQ(ramp->Levels().size(), 3u);
}

TEST(ParseRampTest, ASingleNumberIsOneLevel) {
  absl::StatusOr<Ramp> ramp = ParseRamp("--rate", "500", false);
  ASSERT_TRUE(ramp.ok());
  EXPECT_EQ(ramp->Levels(), (std::vector<double>{500}));
}

TEST(ParseRampTest, MalformedSpecsNameTheFlagAndTheForm) {
  // 3e44 and 1:1e9:1 once made Levels() run out of memory (found by
  // config_fuzzer).
  for (const char* spec :
       {"", "10:20", "a:b:c", "10:5:1", "0:10:1", "10:20:0", "10:20:-1",
        "1:2:3:4", "1.5:3:1", "1:1000000:1", "1:1e9:1", "1e16:1e17:1"}) {
    absl::StatusOr<Ramp> ramp = ParseRamp("--users", spec, true);
    EXPECT_TRUE(absl::IsInvalidArgument(ramp.status())) << spec;
    EXPECT_NE(ramp.status().message().find("--users"), std::string::npos);
    EXPECT_NE(ramp.status().message().find("START:END:STEP"),
              std::string::npos);
  }
}

TEST(ParseTargetTest, NamedAndUnnamed) {
  absl::StatusOr<Target> named = ParseTarget("sync=127.0.0.1:50051");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->name, "sync");
  EXPECT_EQ(named->address, "127.0.0.1:50051");
  absl::StatusOr<Target> bare = ParseTarget("localhost:9");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->name, "localhost:9");
}

TEST(ParseTargetTest, RejectsMalformedAddresses) {
  for (const char* spec : {"sync", "sync=", "=127.0.0.1:1", "sync=host",
                           "sync=host:0", "sync=host:70000", "sync=host:x"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseTarget(spec).status())) << spec;
  }
}

TEST(ParseScenarioTest, SingleScenarios) {
  for (const auto& [spec, action] :
       {std::pair{"seed", Action::kSeed}, std::pair{"get", Action::kGet},
        std::pair{"list", Action::kList}}) {
    absl::StatusOr<Scenario> scenario = ParseScenario(spec);
    ASSERT_TRUE(scenario.ok()) << spec;
    EXPECT_EQ(scenario->actions, std::vector<Action>{action});
  }
}

TEST(ParseScenarioTest, MixHasCumulativeWeights) {
  absl::StatusOr<Scenario> scenario = ParseScenario("mix:get=8,list=1,seed=1");
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  EXPECT_EQ(scenario->actions,
            (std::vector<Action>{Action::kGet, Action::kList, Action::kSeed}));
  EXPECT_EQ(scenario->weights, (std::vector<double>{8, 9, 10}));
}

TEST(ParseScenarioTest, RejectsUnknownAndMalformed) {
  for (const char* spec :
       {"", "post", "mix:", "mix:get", "mix:get=x", "mix:put=1", "mix:get=-1",
        "mix:get=0,list=0", "mix:get=1e308,list=1e308"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseScenario(spec).status())) << spec;
  }
}

}  // namespace
}  // namespace asyncgrpc::loadgen
