// Small reproducible randomness for loadgen's choices (which item, which
// action): splitmix64, so the same --seed gives every target the same sequence
// of requests.
#pragma once

#include <cstdint>

namespace asyncgrpc::loadgen {

inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A key for the n-th draw under `seed`.
inline uint64_t MixKey(uint64_t seed, uint64_t n) {
  return SplitMix64(seed ^ SplitMix64(n));
}

}  // namespace asyncgrpc::loadgen
