#include "loadgen/core/summary.h"

#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

TEST(SetPerCallTest, CpuAndContextSwitchesPerSuccessfulCall) {
  pb::Step step;
  step.set_requests(1200);
  step.set_ok(1000);
  (*step.mutable_processes())["loadgen"].set_cpu_s(0.05);
  (*step.mutable_processes())["async"].set_cpu_s(0.2);
  (*step.mutable_processes())["async"].set_context_switches(3000);
  SetPerCall("async", &step);
  EXPECT_DOUBLE_EQ(step.cpu_per_call_us().at("loadgen"), 50);
  EXPECT_DOUBLE_EQ(step.cpu_per_call_us().at("async"), 200);
  EXPECT_DOUBLE_EQ(step.context_switches_per_call().at("async"), 3);
  EXPECT_FALSE(step.context_switches_per_call().contains("loadgen"));
}

TEST(SetPerCallTest, TheServerFromItsMetricsWhenNoPidMeasuredIt) {
  pb::Step step;
  step.set_ok(500);
  pb::ServerMetrics* metrics = step.add_server_metrics();
  metrics->set_window_s(8);
  metrics->set_process_cpu_cores(0.25);
  SetPerCall("sync", &step);
  const pb::ProcessUse& use = step.processes().at("sync");
  EXPECT_DOUBLE_EQ(use.cpu_s(), 2);
  EXPECT_EQ(use.source(), "metrics");
  EXPECT_DOUBLE_EQ(step.cpu_per_call_us().at("sync"), 4000);

  // A --cpu_pid measurement wins over the endpoint's.
  pb::Step measured = step;
  measured.mutable_processes()->clear();
  (*measured.mutable_processes())["sync"].set_cpu_s(1);
  (*measured.mutable_processes())["sync"].set_source("proc");
  SetPerCall("sync", &measured);
  EXPECT_DOUBLE_EQ(measured.cpu_per_call_us().at("sync"), 2000);
}

TEST(SetPerCallTest, NoSuccessfulCallNoPerCallFigure) {
  pb::Step step;
  step.set_requests(100);
  (*step.mutable_processes())["loadgen"].set_cpu_s(0.05);
  (*step.mutable_cpu_per_call_us())["loadgen"] = 7;  // From an earlier pass.
  SetPerCall("async", &step);
  EXPECT_TRUE(step.cpu_per_call_us().empty());
  EXPECT_EQ(step.processes().at("loadgen").cpu_s(), 0.05);
}

}  // namespace
}  // namespace asyncgrpc::loadgen
