#include "loadgen/diff/samples.h"

namespace asyncgrpc::loadgen {

namespace pb = ::loadgen::v1;

StepSamples SamplesOf(const pb::Config& config, const pb::TargetResult& target,
                      const pb::Step& step) {
  const double window_start = step.start_s() + config.warmup_s();
  const double window_end = window_start + step.duration_s();
  StepSamples samples;
  for (const pb::TimelinePoint& p : target.timeline()) {
    if (p.step() != step.index() || p.t_s() < window_start - kWindowSlack ||
        p.t_s() + 1 > window_end + kWindowSlack) {
      continue;
    }
    ++samples.seconds;
    samples.rps.push_back(p.rps());
    // A percentile of 0 is a second without one (no calls, or merged from
    // shards that kept no per-second histogram).
    if (p.rps() > 0 && p.p50_ms() > 0) {
      samples.p50_ms.push_back(p.p50_ms());
      samples.p95_ms.push_back(p.p95_ms());
      samples.p99_ms.push_back(p.p99_ms());
    }
  }
  return samples;
}

}  // namespace asyncgrpc::loadgen
