// Test-only: the shards of a small distributed run, built as loadgen builds
// results (histograms, percentiles, summary), for merge_test, framing_test and
// merge_input_test. Three shards of an open-loop ramp 300:600:300 (or closed
// 10:20:10 users), two steps each, whose latencies differ so that averaging
// their percentiles gives other numbers than merging their histograms.
//
//   using namespace test_shards;
//   std::vector<MergeInput> inputs = Shards();  // shards 2, 0, 1
//   absl::StatusOr<pb::Results> merged = MergeShards(inputs, "loadgen merge");
//   const pb::Results second = Shard(1);  // the same results as inputs[2]'s
#pragma once

#include <cstdint>
#include <vector>

#include "loadgen/core/histogram.h"
#include "loadgen/distributed/merge_input.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen::test_shards {

inline constexpr int kShards = 3;

// Latencies (µs) of one shard's step: shard 0 fast, shard 1 twice as slow,
// shard 2 with a slow tail.
std::vector<int64_t> Latencies(int shard, int step, int count);

Histogram HistogramOf(const std::vector<int64_t>& values);

// Shard `index` of kShards, two steps, with a timeline of 6 seconds that has
// per-second histograms.
::loadgen::v1::Results Shard(int index, bool open = true);

// Every shard, out of order (2, 0, 1) since merge sorts them by index; each
// named "shard<index>".
std::vector<MergeInput> Shards(bool open = true);

}  // namespace asyncgrpc::loadgen::test_shards
