// loadgen's latency histogram: Record runs once per call on the recording
// path, Merge once per step and target (and per worker in `loadgen merge`).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "loadgen/core/histogram.h"
#include "loadgen/core/random.h"

namespace asyncgrpc::loadgen {
namespace {

// Latencies spread over 50 us .. ~1 s on a log scale, precomputed so the
// benchmark measures Record, not the generator.
std::vector<int64_t> Latencies(int count) {
  std::vector<int64_t> values;
  values.reserve(count);
  for (int i = 0; i < count; ++i) {
    const uint64_t draw = MixKey(42, static_cast<uint64_t>(i));
    const int shift = static_cast<int>(draw % 15);
    values.push_back(50 + static_cast<int64_t>((draw >> 8) % (50ull << shift)));
  }
  return values;
}

void BM_HistogramRecord(benchmark::State& state) {
  const std::vector<int64_t> values = Latencies(4096);
  Histogram histogram;
  size_t i = 0;
  for (auto _ : state) {
    histogram.Record(values[i]);
    i = (i + 1) & 4095;
  }
  benchmark::DoNotOptimize(histogram.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord);

void BM_HistogramMerge(benchmark::State& state) {
  Histogram a;
  Histogram b;
  for (int64_t value : Latencies(100'000)) {
    b.Record(value);
  }
  for (auto _ : state) {
    a.Merge(b);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_HistogramMerge);

void BM_HistogramPercentiles(benchmark::State& state) {
  Histogram histogram;
  for (int64_t value : Latencies(100'000)) {
    histogram.Record(value);
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(histogram.ValueAtPercentile(99.0));
  }
}
BENCHMARK(BM_HistogramPercentiles);

}  // namespace
}  // namespace asyncgrpc::loadgen
