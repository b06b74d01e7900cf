// A fixed-size, log-bucketed latency histogram in microseconds (HdrHistogram
// style): every value from 1 µs to kMaxValue (about 71 minutes) lands in a
// bucket no wider than 1/128 of its lower bound, so any reported value is
// within 0.4% of a recorded one. Histograms merge exactly, which lets loadgen
// shard recording across threads and combine steps, workers and runs without
// averaging percentiles. Not thread-safe: callers shard or lock.
//
//   Histogram h;
//   h.Record(absl::ToInt64Microseconds(elapsed));
//   int64_t p95_us = h.ValueAtPercentile(95);
//   ::loadgen::v1::Histogram proto;
//   h.ToProto(&proto);
//   absl::StatusOr<Histogram> back = Histogram::FromProto(proto);
#pragma once

#include <array>
#include <cstdint>

#include "absl/status/statusor.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

class Histogram {
 public:
  // Values below kMinValue or above kMaxValue are clamped into the range
  // before they are recorded (they still count).
  static constexpr int64_t kMinValue = 1;
  static constexpr int64_t kMaxValue = (int64_t{1} << 32) - 1;
  // Values 1..255 get a bucket each; every power of two above is split into
  // kSubBuckets linear sub-buckets.
  static constexpr int kSubBuckets = 128;
  static constexpr int kBucketCount = 255 + (32 - 8) * kSubBuckets;

  Histogram() = default;

  // Records one value (or `count` of them; count <= 0 records nothing). O(1),
  // no allocation.
  void Record(int64_t micros) { RecordN(micros, 1); }
  void RecordN(int64_t micros, int64_t count);

  // Adds every value recorded in `other` to this histogram.
  void Merge(const Histogram& other);
  // Forgets everything recorded.
  void Reset();

  int64_t count() const { return count_; }
  // The exact smallest / largest recorded value (after clamping); 0 if empty.
  int64_t min() const { return min_; }
  int64_t max() const { return max_; }
  // The mean from the bucket values (within 0.4% of the exact mean); 0 if
  // empty.
  double Mean() const;

  // The nearest-rank percentile: the value of the first bucket at which at
  // least `percentile`% of the recorded values (rank ceil(p/100 * count), at
  // least 1) are accounted for, reported as the bucket's mid value clamped to
  // [min(), max()]. The first and last ranks report min() and max() exactly.
  // `percentile` is clamped to [0, 100]; an empty histogram reports 0.
  int64_t ValueAtPercentile(double percentile) const;

  // The bucket a value falls in (after clamping), in [0, kBucketCount).
  static int BucketIndex(int64_t micros);
  // The representative (mid) value of a bucket; 0 for an index out of range.
  static int64_t BucketValue(int index);
  // The smallest and largest values that fall in a bucket; 0 out of range.
  static int64_t BucketLowest(int index);
  static int64_t BucketHighest(int index);

  // Writes the non-empty buckets in increasing index order (parallel
  // `bucket`/`count` arrays) plus total, min_us and max_us; clears `out`
  // first.
  void ToProto(::loadgen::v1::Histogram* out) const;
  // The inverse of ToProto (bucket order may be arbitrary). INVALID_ARGUMENT
  // on arrays of different lengths, an index out of range or repeated, a
  // negative count, a total that is not the sum of the counts, or min_us /
  // max_us that do not fall in the lowest / highest non-empty bucket.
  static absl::StatusOr<Histogram> FromProto(
      const ::loadgen::v1::Histogram& proto);

  friend bool operator==(const Histogram&, const Histogram&) = default;

 private:
  std::array<int64_t, kBucketCount> counts_{};
  int64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
};

}  // namespace asyncgrpc::loadgen
