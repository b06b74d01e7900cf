// The sweep's answer in words: what was swept and on what basis, where the
// challenger starts to pay (the crossover), its capacity over the baseline's
// at each value, and how each arm failed at the highest value.
//
//   *results.mutable_verdict() = SweepVerdict(sweep, highest_run, runs);
#pragma once

#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

// `sweep`: judged, with its crossover; `highest`: the run at its highest
// value; `runs`: the fewest runs any arm had at any value.
::loadgen::v1::Verdict SweepVerdict(const ::loadgen::v1::Sweep& sweep,
                                    const ::loadgen::v1::Results& highest,
                                    int runs);

}  // namespace asyncgrpc::loadgen
