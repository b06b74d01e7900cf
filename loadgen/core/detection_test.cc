#include "loadgen/core/detection.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

// A valid step at `load` users with the given p95, rps and error ratio.
StepPoint Step(double load, double p95_ms, double rps, double error_ratio = 0) {
  return StepPoint{.load = load,
                   .p95_ms = p95_ms,
                   .rps = rps,
                   .error_ratio = error_ratio,
                   .requests = 1000,
                   .valid = true};
}

StepPoint Invalid(StepPoint step) {
  step.valid = false;
  return step;
}

StepPoint Empty(StepPoint step) {
  step.requests = 0;
  return step;
}

TEST(DetectTest, EmptyInputDetectsNothing) {
  const Detection d = Detect({}, DetectionRules());
  EXPECT_FALSE(d.slowdown_step);
  EXPECT_FALSE(d.errors_step);
  EXPECT_FALSE(d.saturation_step);
  EXPECT_EQ(d.baseline_p95_ms, 0);
  EXPECT_EQ(d.max_rps, 0);
}

TEST(DetectTest, OnlySkippedStepsDetectNothing) {
  const Detection d =
      Detect({Invalid(Step(10, 5, 100, 0.5)), Empty(Step(20, 50, 200, 0.5))},
             DetectionRules());
  EXPECT_FALSE(d.slowdown_step);
  EXPECT_FALSE(d.errors_step);
  EXPECT_FALSE(d.saturation_step);
  EXPECT_EQ(d.baseline_p95_ms, 0);
  EXPECT_EQ(d.max_rps, 0);
}

TEST(DetectTest, NoKneeOnlySaturation) {
  const std::vector<StepPoint> steps = {
      Step(10, 4.0, 1000), Step(20, 4.1, 2000), Step(30, 4.0, 2900),
      Step(40, 4.2, 3000), Step(50, 4.1, 2950)};
  const Detection d = Detect(steps, DetectionRules());
  EXPECT_FALSE(d.slowdown_step);
  EXPECT_FALSE(d.errors_step);
  EXPECT_EQ(d.saturation_step, 3);
  EXPECT_EQ(d.max_rps, 3000);
  EXPECT_EQ(d.baseline_p95_ms, 4.0);
}

TEST(DetectTest, KneeAtTheStepWhereP95Doubles) {
  const std::vector<StepPoint> steps = {Step(10, 5, 1000), Step(20, 6, 2000),
                                        Step(30, 9, 2500), Step(40, 12, 2600),
                                        Step(50, 30, 2400)};
  const Detection d = Detect(steps, DetectionRules());
  EXPECT_EQ(d.slowdown_step, 3);
  EXPECT_FALSE(d.errors_step);
  EXPECT_EQ(d.saturation_step, 3);
  EXPECT_EQ(d.baseline_p95_ms, 5);
}

TEST(DetectTest, ExactlyTheFactorIsNotASlowdown) {
  const Detection at = Detect({Step(10, 10, 100), Step(20, 20, 200)},
                              DetectionRules{.slowdown_factor = 2.0});
  EXPECT_FALSE(at.slowdown_step);

  const Detection above =
      Detect({Step(10, 10, 100), Step(20, 20, 200), Step(30, 20.1, 300)},
             DetectionRules{.slowdown_factor = 2.0});
  EXPECT_EQ(above.slowdown_step, 2);
}

TEST(DetectTest, SlowdownFactorIsConfigurable) {
  const std::vector<StepPoint> steps = {Step(10, 10, 100), Step(20, 16, 200),
                                        Step(30, 40, 300)};
  EXPECT_EQ(Detect(steps, DetectionRules{.slowdown_factor = 1.5}).slowdown_step,
            1);
  EXPECT_EQ(Detect(steps, DetectionRules{.slowdown_factor = 3.0}).slowdown_step,
            2);
  EXPECT_FALSE(
      Detect(steps, DetectionRules{.slowdown_factor = 4.0}).slowdown_step);
}

TEST(DetectTest, ErrorsBeforeTheKnee) {
  const std::vector<StepPoint> steps = {
      Step(10, 5, 1000), Step(20, 5, 2000, 0.02), Step(30, 6, 2100, 0.2),
      Step(40, 11, 1500, 0.5)};
  const Detection d = Detect(steps, DetectionRules());
  EXPECT_EQ(d.errors_step, 1);
  EXPECT_EQ(d.slowdown_step, 3);
  EXPECT_EQ(d.saturation_step, 2);
}

TEST(DetectTest, ErrorRatioExactlyAtThresholdIsNotOnset) {
  const std::vector<StepPoint> steps = {Step(10, 5, 1000, 0.0),
                                        Step(20, 5, 2000, 0.01),
                                        Step(30, 5, 3000, 0.0101)};
  const Detection d = Detect(steps, DetectionRules{.error_threshold = 0.01});
  EXPECT_EQ(d.errors_step, 2);

  EXPECT_FALSE(
      Detect({Step(10, 5, 1000, 0.01)}, DetectionRules{.error_threshold = 0.01})
          .errors_step);
}

TEST(DetectTest, ErrorsAtTheFirstStep) {
  const Detection d =
      Detect({Step(10, 5, 1000, 1.0), Step(20, 5, 900, 1.0)}, DetectionRules());
  EXPECT_EQ(d.errors_step, 0);
  EXPECT_EQ(d.saturation_step, 0);
}

TEST(DetectTest, InvalidStepsAreSkippedByEveryRule) {
  const std::vector<StepPoint> steps = {
      Invalid(Step(5, 1, 99999, 0.9)),  // Would be baseline, errors, peak.
      Step(10, 5, 1000),
      Invalid(Step(20, 50, 50000, 0.5)),  // Would be slowdown, errors, peak.
      Step(30, 6, 2000),
      Step(40, 10.5, 1800, 0.05),
  };
  const Detection d = Detect(steps, DetectionRules());
  EXPECT_EQ(d.baseline_p95_ms, 5);
  EXPECT_EQ(d.slowdown_step, 4);
  EXPECT_EQ(d.errors_step, 4);
  EXPECT_EQ(d.saturation_step, 3);
  EXPECT_EQ(d.max_rps, 2000);
}

TEST(DetectTest, BaselineFromTheFirstNonEmptyStep) {
  const std::vector<StepPoint> steps = {
      Empty(Step(0, 0, 0)),
      Empty(Step(5, 0.1, 0, 1.0)),  // No requests: ratio
                                    // means nothing.
      Step(10, 8, 500),
      Step(20, 12, 900),
      Step(30, 17, 1000),
  };
  const Detection d = Detect(steps, DetectionRules());
  EXPECT_EQ(d.baseline_p95_ms, 8);
  EXPECT_EQ(d.slowdown_step, 4);
  EXPECT_FALSE(d.errors_step);
  EXPECT_EQ(d.saturation_step, 4);
}

TEST(DetectTest, SaturationTieGoesToTheEarliest) {
  const std::vector<StepPoint> steps = {Step(10, 5, 1000), Step(20, 5, 3000),
                                        Step(30, 5, 2000), Step(40, 5, 3000),
                                        Step(50, 5, 3000)};
  const Detection d = Detect(steps, DetectionRules());
  EXPECT_EQ(d.saturation_step, 1);
  EXPECT_EQ(d.max_rps, 3000);
}

TEST(DetectTest, StepIndicesIndexTheInput) {
  std::vector<StepPoint> steps = {Empty(Step(1, 0, 0)), Invalid(Step(2, 1, 1)),
                                  Step(3, 10, 100), Step(4, 25, 300, 0.5)};
  const Detection d = Detect(steps, DetectionRules());
  ASSERT_TRUE(d.slowdown_step);
  EXPECT_EQ(steps[*d.slowdown_step].load, 4);
  EXPECT_EQ(steps[*d.errors_step].load, 4);
  EXPECT_EQ(steps[*d.saturation_step].load, 4);
}

TEST(ShouldStopTest, NoErrorsNeverStops) {
  const std::vector<StepPoint> steps = {Step(10, 5, 100), Step(20, 50, 100)};
  EXPECT_FALSE(ShouldStop(steps, DetectionRules(), 0));
  EXPECT_FALSE(ShouldStop(steps, DetectionRules(), 2));
  EXPECT_FALSE(ShouldStop({}, DetectionRules(), 0));
}

TEST(ShouldStopTest, ZeroStopsAtTheErrorOnsetStep) {
  std::vector<StepPoint> steps = {Step(10, 5, 100)};
  EXPECT_FALSE(ShouldStop(steps, DetectionRules(), 0));
  steps.push_back(Step(20, 5, 200, 0.05));
  EXPECT_TRUE(ShouldStop(steps, DetectionRules(), 0));
}

TEST(ShouldStopTest, StopsNStepsAfterOnset) {
  std::vector<StepPoint> steps = {Step(10, 5, 100), Step(20, 5, 200, 0.05)};
  EXPECT_FALSE(ShouldStop(steps, DetectionRules(), 2));
  steps.push_back(Step(30, 5, 150, 0.0));  // Errors may stop; onset stands.
  EXPECT_FALSE(ShouldStop(steps, DetectionRules(), 2));
  EXPECT_TRUE(ShouldStop(steps, DetectionRules(), 1));
  steps.push_back(Invalid(Step(40, 5, 150, 0.5)));  // Skipped steps count too.
  EXPECT_TRUE(ShouldStop(steps, DetectionRules(), 2));
  EXPECT_FALSE(ShouldStop(steps, DetectionRules(), 3));
}

TEST(ShouldStopTest, NegativeNeverStops) {
  const std::vector<StepPoint> steps = {Step(10, 5, 100, 0.5),
                                        Step(20, 5, 100, 0.5)};
  EXPECT_FALSE(ShouldStop(steps, DetectionRules(), -1));
  EXPECT_TRUE(ShouldStop(steps, DetectionRules(), 1));
}

TEST(ShouldStopTest, ErrorsOnInvalidStepsDoNotStop) {
  const std::vector<StepPoint> steps = {Step(10, 5, 100),
                                        Invalid(Step(20, 5, 100, 0.5))};
  EXPECT_FALSE(ShouldStop(steps, DetectionRules(), 0));
}

TEST(DescribeRulesTest, StatesTheRulesWithTheirNumbers) {
  const std::vector<std::string> lines = DescribeRules(
      DetectionRules{.slowdown_factor = 2.5, .error_threshold = 0.05}, false);
  std::string all;
  for (const std::string& line : lines) {
    EXPECT_FALSE(line.empty());
    all += line + "\n";
  }
  EXPECT_NE(all.find("virtual users"), std::string::npos) << all;
  EXPECT_NE(all.find("skipped by every rule"), std::string::npos) << all;
  EXPECT_NE(all.find("Baseline: the p95 latency of the first"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("exceeds 2.5× the baseline p95"), std::string::npos)
      << all;
  EXPECT_NE(all.find("exceeds 5%"), std::string::npos) << all;
  EXPECT_NE(all.find("peak throughput"), std::string::npos) << all;
  EXPECT_NE(all.find("earliest"), std::string::npos) << all;
}

TEST(DescribeRulesTest, DefaultsAndOpenLoop) {
  const std::vector<std::string> lines = DescribeRules(DetectionRules(), true);
  std::string all;
  for (const std::string& line : lines) all += line + "\n";
  EXPECT_NE(all.find("calls/s"), std::string::npos) << all;
  EXPECT_NE(all.find("exceeds 2× the baseline p95"), std::string::npos) << all;
  EXPECT_NE(all.find("exceeds 1%"), std::string::npos) << all;
}

}  // namespace
}  // namespace asyncgrpc::loadgen
