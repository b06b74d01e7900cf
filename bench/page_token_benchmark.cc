// Page-token encode/decode: once per ListItems page.
#include <benchmark/benchmark.h>

#include <string>

#include "common/page_token.h"

namespace asyncgrpc {
namespace {

void BM_EncodePageToken(benchmark::State& state) {
  PageCursor cursor{.number = 721, .id = 1'000'001};
  for (auto _ : state) {
    std::string token = EncodePageToken(cursor);
    benchmark::DoNotOptimize(token);
    ++cursor.id;
  }
}
BENCHMARK(BM_EncodePageToken);

void BM_DecodePageToken(benchmark::State& state) {
  const std::string token = EncodePageToken({.number = 721, .id = 1'000'001});
  for (auto _ : state) {
    auto cursor = DecodePageToken(token);
    if (!cursor.ok()) {
      state.SkipWithError("DecodePageToken failed");
      break;
    }
    benchmark::DoNotOptimize(cursor);
  }
}
BENCHMARK(BM_DecodePageToken);

void BM_DecodeTamperedPageToken(benchmark::State& state) {
  std::string token = EncodePageToken({.number = 721, .id = 1'000'001});
  token[4] = token[4] == 'A' ? 'B' : 'A';
  for (auto _ : state) {
    auto cursor = DecodePageToken(token);
    if (cursor.ok()) {
      state.SkipWithError("a tampered token decoded");
      break;
    }
    benchmark::DoNotOptimize(cursor);
  }
}
BENCHMARK(BM_DecodeTamperedPageToken);

}  // namespace
}  // namespace asyncgrpc
