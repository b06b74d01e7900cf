// One swept value's two-target run reduced to what the sweep shows: each
// target's figures over its runs (capacity, peak throughput, error onset, CPU
// per call by process, peak RSS, how it failed) and whether the challenger
// pays there (crossover.h).
//
//   pb::SweepPoint point = PointOf("20ms", "upstream_delay-20ms", results);
#pragma once

#include <string>

#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

// `results`: a run of exactly two targets, baseline first. `value_number` is
// left for the caller (value.h).
::loadgen::v1::SweepPoint PointOf(const std::string& value,
                                  const std::string& directory,
                                  const ::loadgen::v1::Results& results);

}  // namespace asyncgrpc::loadgen
