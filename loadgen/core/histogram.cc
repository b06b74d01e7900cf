#include "loadgen/core/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace asyncgrpc::loadgen {
namespace {

// Values below kLinearEnd get one bucket each (indices 0..kLinearEnd-2 for
// values 1..kLinearEnd-1). From there, every power of two [2^m, 2^(m+1)) with
// m >= kLinearBits is split into Histogram::kSubBuckets equal sub-buckets of
// width 2^(m - kSubBucketBits).
constexpr int kLinearBits = 8;
constexpr int64_t kLinearEnd = int64_t{1} << kLinearBits;  // 256
constexpr int kSubBucketBits = 7;                          // 128 sub-buckets
constexpr int kFirstLogIndex = static_cast<int>(kLinearEnd) - 1;  // 255
constexpr double kRankTolerance = 1e-12;

static_assert(Histogram::kSubBuckets == (1 << kSubBucketBits));
static_assert(Histogram::kMinValue == 1);
static_assert(std::bit_width(static_cast<uint64_t>(Histogram::kMaxValue)) ==
              32);

int64_t Clamp(int64_t micros) {
  return std::clamp(micros, Histogram::kMinValue, Histogram::kMaxValue);
}

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("histogram: ", what));
}

}  // namespace

int Histogram::BucketIndex(int64_t micros) {
  const int64_t v = Clamp(micros);
  if (v < kLinearEnd) {
    return static_cast<int>(v - 1);
  }
  const int magnitude = std::bit_width(static_cast<uint64_t>(v)) - 1;  // >= 8
  const int shift = magnitude - kSubBucketBits;
  const int sub = static_cast<int>(v >> shift) - kSubBuckets;  // 0..127
  return kFirstLogIndex + (magnitude - kLinearBits) * kSubBuckets + sub;
}

int64_t Histogram::BucketLowest(int index) {
  if (index < 0 || index >= kBucketCount) {
    return 0;
  }
  if (index < kFirstLogIndex) {
    return index + 1;
  }
  const int offset = index - kFirstLogIndex;
  const int magnitude = kLinearBits + offset / kSubBuckets;
  const int64_t sub = kSubBuckets + offset % kSubBuckets;
  return sub << (magnitude - kSubBucketBits);
}

int64_t Histogram::BucketHighest(int index) {
  if (index < 0 || index >= kBucketCount) {
    return 0;
  }
  if (index < kFirstLogIndex) {
    return index + 1;
  }
  const int magnitude = kLinearBits + (index - kFirstLogIndex) / kSubBuckets;
  return BucketLowest(index) + (int64_t{1} << (magnitude - kSubBucketBits)) - 1;
}

int64_t Histogram::BucketValue(int index) {
  const int64_t lowest = BucketLowest(index);
  const int64_t highest = BucketHighest(index);
  // Widths are powers of two, so this is the upper of the two middle values
  // (exact for width 1); at most width / 2 from any value in the bucket.
  return lowest + (highest - lowest + 1) / 2;
}

void Histogram::RecordN(int64_t micros, int64_t count) {
  if (count <= 0) {
    return;
  }
  const int64_t v = Clamp(micros);
  counts_[BucketIndex(v)] += count;
  if (count_ == 0) {
    min_ = v;
    max_ = v;
  } else {
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }
  count_ += count;
}

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) {
    return;
  }
  for (int i = 0; i < kBucketCount; ++i) {
    counts_[i] += other.counts_[i];
  }
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
}

void Histogram::Reset() {
  counts_.fill(0);
  count_ = 0;
  min_ = 0;
  max_ = 0;
}

double Histogram::Mean() const {
  if (count_ == 0) {
    return 0;
  }
  double sum = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    if (counts_[i] != 0) {
      const int64_t value = std::clamp(BucketValue(i), min_, max_);
      sum += static_cast<double>(counts_[i]) * static_cast<double>(value);
    }
  }
  return sum / static_cast<double>(count_);
}

int64_t Histogram::ValueAtPercentile(double percentile) const {
  if (count_ == 0) {
    return 0;
  }
  if (!(percentile > 0)) {  // Also NaN.
    percentile = 0;
  }
  percentile = std::min(percentile, 100.0);
  // Nearest rank; the small relative allowance keeps e.g. 99.9% of 1000 at
  // rank 999 despite 99.9 having no exact binary form.
  const double exact_rank = percentile * static_cast<double>(count_) / 100.0;
  int64_t rank =
      static_cast<int64_t>(std::ceil(exact_rank * (1 - kRankTolerance)));
  rank = std::clamp<int64_t>(rank, 1, count_);
  if (rank == 1) {
    return min_;
  }
  if (rank == count_) {
    return max_;
  }
  int64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      return std::clamp(BucketValue(i), min_, max_);
    }
  }
  return max_;  // Unreachable: the counts sum to count_.
}

void Histogram::ToProto(::loadgen::v1::Histogram* out) const {
  out->Clear();
  for (int i = 0; i < kBucketCount; ++i) {
    if (counts_[i] != 0) {
      out->add_bucket(i);
      out->add_count(counts_[i]);
    }
  }
  out->set_total(count_);
  out->set_min_us(min_);
  out->set_max_us(max_);
}

absl::StatusOr<Histogram> Histogram::FromProto(
    const ::loadgen::v1::Histogram& proto) {
  if (proto.bucket_size() != proto.count_size()) {
    return Invalid(absl::StrCat("bucket has ", proto.bucket_size(),
                                " entries but count has ", proto.count_size()));
  }
  Histogram h;
  std::vector<bool> seen(kBucketCount, false);
  int lowest = kBucketCount;
  int highest = -1;
  for (int i = 0; i < proto.bucket_size(); ++i) {
    const int index = proto.bucket(i);
    const int64_t count = proto.count(i);
    if (index < 0 || index >= kBucketCount) {
      return Invalid(absl::StrCat("bucket index ", index, " out of range [0, ",
                                  kBucketCount, ")"));
    }
    if (seen[index]) {
      return Invalid(absl::StrCat("bucket index ", index, " repeated"));
    }
    seen[index] = true;
    if (count < 0) {
      return Invalid(
          absl::StrCat("negative count ", count, " for bucket ", index));
    }
    if (__builtin_add_overflow(h.count_, count, &h.count_)) {
      return Invalid("counts overflow");
    }
    h.counts_[index] = count;
    if (count > 0) {
      lowest = std::min(lowest, index);
      highest = std::max(highest, index);
    }
  }
  if (proto.total() != h.count_) {
    return Invalid(absl::StrCat("total ", proto.total(),
                                " is not the sum of the counts ", h.count_));
  }
  if (h.count_ == 0) {
    if (proto.min_us() != 0 || proto.max_us() != 0) {
      return Invalid("an empty histogram has min_us and max_us 0");
    }
    return h;
  }
  if (BucketIndex(proto.min_us()) != lowest ||
      Clamp(proto.min_us()) != proto.min_us()) {
    return Invalid(absl::StrCat("min_us ", proto.min_us(),
                                " is not in the lowest non-empty bucket ",
                                lowest));
  }
  if (BucketIndex(proto.max_us()) != highest ||
      Clamp(proto.max_us()) != proto.max_us()) {
    return Invalid(absl::StrCat("max_us ", proto.max_us(),
                                " is not in the highest non-empty bucket ",
                                highest));
  }
  if (proto.min_us() > proto.max_us()) {
    return Invalid(absl::StrCat("min_us ", proto.min_us(), " exceeds max_us ",
                                proto.max_us()));
  }
  h.min_ = proto.min_us();
  h.max_ = proto.max_us();
  return h;
}

}  // namespace asyncgrpc::loadgen
