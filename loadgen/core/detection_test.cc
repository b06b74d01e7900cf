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

// The rules without the floor, to test the factor alone.
DetectionRules FactorOnly(double factor = 2.0) {
  return DetectionRules{.slowdown_factor = factor, .slowdown_floor_ms = 0};
}

TEST(DetectTest, NoKneeOnlySaturation) {
  const std::vector<StepPoint> steps = {
      Step(10, 4.0, 1000), Step(20, 4.1, 2000), Step(30, 4.0, 2900),
      Step(40, 4.2, 3000), Step(50, 4.1, 2950)};
  const Detection d = Detect(steps, DetectionRules());
  EXPECT_FALSE(d.slowdown_step);
  EXPECT_FALSE(d.errors_step);
  // 2900 -> 3000 is +3% for +33% load: no longer following.
  EXPECT_EQ(d.saturation_step, 3);
  EXPECT_EQ(d.max_rps, 3000);
  EXPECT_EQ(d.baseline_p95_ms, 4.0);
}

TEST(DetectTest, KneeAtTheFirstOfTwoSlowSteps) {
  const std::vector<StepPoint> steps = {Step(10, 5, 1000), Step(20, 6, 2000),
                                        Step(30, 9, 2500), Step(40, 12, 2600),
                                        Step(50, 30, 2400)};
  const Detection d = Detect(steps, FactorOnly());
  EXPECT_EQ(d.slowdown_step, 3);
  EXPECT_EQ(d.slowdown_threshold_ms, 10);
  EXPECT_FALSE(d.errors_step);
  EXPECT_EQ(d.saturation_step, 3);
  EXPECT_EQ(d.baseline_p95_ms, 5);
}

// What a shared 2-core machine does to a 3 ms p95 well below any knee: it
// doubles now and then, one step at a time or two (the study's compare put
// both arms' knee at such a doubling: docs/performance.md, "Figures behind
// choices in the code").
TEST(DetectTest, NoisyLowBaselineDoesNotFire) {
  const std::vector<StepPoint> steps = {
      Step(50, 3.0, 50),    Step(100, 3.2, 100), Step(150, 7.5, 150),
      Step(200, 3.1, 200),  Step(250, 6.1, 250), Step(300, 6.8, 300),
      Step(350, 10.4, 350), Step(400, 4.0, 400)};
  const Detection d = Detect(steps, DetectionRules());
  EXPECT_EQ(d.slowdown_threshold_ms, 13);
  EXPECT_FALSE(d.slowdown_step);
  EXPECT_FALSE(d.saturation_step);
  // Without the floor, two steps above 2x fire at step 4 (and a single step
  // above it, the rule before, at step 2).
  EXPECT_EQ(Detect(steps, FactorOnly()).slowdown_step, 4);
}

TEST(DetectTest, RealKneeOnALowBaselineFires) {
  const std::vector<StepPoint> steps = {
      Step(50, 3.0, 50),     Step(100, 3.4, 100),  Step(150, 3.1, 150),
      Step(200, 5.0, 200),   Step(250, 9.0, 250),  Step(300, 40.0, 290),
      Step(350, 180.0, 300), Step(400, 600.0, 298)};
  const Detection d = Detect(steps, DetectionRules());
  EXPECT_EQ(d.slowdown_step, 5);
  // 250 -> 290 rps is +16% for +20% load: still following; 290 -> 300 not.
  EXPECT_EQ(d.saturation_step, 6);
  EXPECT_EQ(d.max_rps, 300);
}

TEST(DetectTest, OneSlowStepIsNotAKnee) {
  const std::vector<StepPoint> steps = {Step(10, 5, 100), Step(20, 5, 200),
                                        Step(30, 50, 300), Step(40, 5, 400),
                                        Step(50, 60, 500)};
  EXPECT_FALSE(Detect(steps, DetectionRules()).slowdown_step);
}

TEST(DetectTest, SkippedStepsDoNotBreakASlowRun) {
  const std::vector<StepPoint> steps = {Step(10, 5, 100), Step(20, 50, 200),
                                        Invalid(Step(30, 1, 300)),
                                        Step(40, 60, 400)};
  EXPECT_EQ(Detect(steps, DetectionRules()).slowdown_step, 1);
}

TEST(DetectTest, BaselineIsTheLowestOfTheFirstThree) {
  const std::vector<StepPoint> steps = {Step(10, 9, 100),  Step(20, 4, 200),
                                        Step(30, 6, 300),  Step(40, 2, 400),
                                        Step(50, 15, 500), Step(60, 16, 600)};
  const Detection d = Detect(steps, DetectionRules());
  EXPECT_EQ(d.baseline_p95_ms, 4);
  EXPECT_EQ(d.slowdown_threshold_ms, 14);
  EXPECT_EQ(d.slowdown_step, 4);
}

TEST(DetectTest, TheFactorRulesAboveTheFloor) {
  // Baseline 20 ms: 2x (40) is above 20 + 10.
  const std::vector<StepPoint> steps = {Step(10, 20, 100), Step(20, 35, 200),
                                        Step(30, 41, 300), Step(40, 45, 400)};
  const Detection d = Detect(steps, DetectionRules());
  EXPECT_EQ(d.slowdown_threshold_ms, 40);
  EXPECT_EQ(d.slowdown_step, 2);
}

TEST(DetectTest, ExactlyTheThresholdIsNotASlowdown) {
  const Detection at = Detect(
      {Step(10, 10, 100), Step(20, 20, 200), Step(30, 20, 300)}, FactorOnly());
  EXPECT_FALSE(at.slowdown_step);

  const Detection above = Detect({Step(10, 10, 100), Step(20, 20, 200),
                                  Step(30, 20.1, 300), Step(40, 20.1, 400)},
                                 FactorOnly());
  EXPECT_EQ(above.slowdown_step, 2);
}

TEST(DetectTest, SlowdownFactorIsConfigurable) {
  const std::vector<StepPoint> steps = {Step(10, 10, 100), Step(20, 16, 200),
                                        Step(30, 40, 300), Step(40, 40, 400)};
  EXPECT_EQ(Detect(steps, FactorOnly(1.5)).slowdown_step, 1);
  EXPECT_EQ(Detect(steps, FactorOnly(3.0)).slowdown_step, 2);
  EXPECT_FALSE(Detect(steps, FactorOnly(4.0)).slowdown_step);
}

TEST(DetectTest, SaturationWhenThroughputStopsFollowingAnOpenLoopRate) {
  // Planned rate +100%, +50%, +33%, +25%; rps +100%, +45%, +8%, +2%.
  const std::vector<StepPoint> steps = {
      Step(1000, 2, 1000), Step(2000, 2, 2000), Step(3000, 2, 2900),
      Step(4000, 2, 3132), Step(5000, 2, 3190)};
  // +8% < a quarter of +33%.
  EXPECT_EQ(Detect(steps, DetectionRules()).saturation_step, 3);
}

TEST(DetectTest, SaturationInAClosedLoopUsesTheRateUsersWouldOffer) {
  // 1 s think time, 5 ms baseline p50: 100 users would offer ~99.5/s.
  DetectionRules rules;
  rules.closed_loop = true;
  rules.think_time_s = 1.0;
  std::vector<StepPoint> steps = {Step(100, 6, 99), Step(200, 6, 198),
                                  Step(300, 6, 296), Step(400, 6, 310)};
  for (StepPoint& step : steps) {
    step.p50_ms = 5;
  }
  const Detection d = Detect(steps, rules);
  EXPECT_EQ(d.saturation_step, 3);
  EXPECT_EQ(d.max_rps, 310);
}

TEST(DetectTest, FallingThroughputIsSaturationToo) {
  const std::vector<StepPoint> steps = {Step(10, 5, 1000), Step(20, 5, 2000),
                                        Step(30, 5, 1500)};
  EXPECT_EQ(Detect(steps, DetectionRules()).saturation_step, 2);
}

TEST(DetectTest, ErrorsBeforeTheKnee) {
  const std::vector<StepPoint> steps = {
      Step(10, 5, 1000), Step(20, 5, 2000, 0.02), Step(30, 6, 2100, 0.2),
      Step(40, 11, 1500, 0.5), Step(50, 30, 1000, 0.9)};
  const Detection d = Detect(steps, FactorOnly());
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
  EXPECT_EQ(d.saturation_step, 1);
}

TEST(DetectTest, InvalidStepsAreSkippedByEveryRule) {
  const std::vector<StepPoint> steps = {
      Invalid(Step(5, 1, 99999, 0.9)),  // Would be baseline, errors, peak.
      Step(10, 5, 1000),
      Invalid(Step(20, 50, 50000, 0.5)),  // Would be slowdown, errors, peak.
      Step(30, 6, 2000),
      Step(40, 10.5, 1800, 0.05),
      Step(50, 11, 1700, 0.05),
  };
  const Detection d = Detect(steps, FactorOnly());
  EXPECT_EQ(d.baseline_p95_ms, 5);
  EXPECT_EQ(d.slowdown_step, 4);
  EXPECT_EQ(d.errors_step, 4);
  EXPECT_EQ(d.saturation_step, 4);
  EXPECT_EQ(d.max_rps, 2000);
}

TEST(DetectTest, BaselineSkipsEmptySteps) {
  const std::vector<StepPoint> steps = {
      Empty(Step(0, 0, 0)),
      Empty(Step(5, 0.1, 0, 1.0)),  // No requests: ratio
                                    // means nothing.
      Step(10, 8, 500),
      Step(20, 12, 900),
      Step(30, 17, 1000),
      Step(40, 18, 1100),
  };
  const Detection d = Detect(steps, FactorOnly());
  EXPECT_EQ(d.baseline_p95_ms, 8);
  EXPECT_EQ(d.slowdown_step, 4);
  EXPECT_FALSE(d.errors_step);
  EXPECT_EQ(d.saturation_step, 4);
}

TEST(DetectTest, StepIndicesIndexTheInput) {
  std::vector<StepPoint> steps = {Empty(Step(1, 0, 0)), Invalid(Step(2, 1, 1)),
                                  Step(3, 10, 100), Step(4, 25, 105, 0.5),
                                  Step(5, 30, 100, 0.5)};
  const Detection d = Detect(steps, FactorOnly());
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
  EXPECT_NE(all.find("Baseline: the lowest p95 latency of the first three"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("two steps in a row"), std::string::npos) << all;
  EXPECT_NE(all.find("exceeds 2.5× the baseline p95 or the baseline plus 10 "
                     "ms, whichever is higher"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("exceeds 5%"), std::string::npos) << all;
  EXPECT_NE(all.find("think time 0 s"), std::string::npos) << all;
  EXPECT_NE(all.find("Peak throughput"), std::string::npos) << all;
}

TEST(DescribeRulesTest, DefaultsAndOpenLoop) {
  const std::vector<std::string> lines = DescribeRules(DetectionRules(), true);
  std::string all;
  for (const std::string& line : lines) all += line + "\n";
  EXPECT_NE(all.find("calls/s"), std::string::npos) << all;
  EXPECT_NE(all.find("exceeds 2× the baseline p95"), std::string::npos) << all;
  EXPECT_NE(all.find("the planned rate"), std::string::npos) << all;
  EXPECT_NE(all.find("exceeds 1%"), std::string::npos) << all;
}

}  // namespace
}  // namespace asyncgrpc::loadgen
