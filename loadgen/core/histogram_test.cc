#include "loadgen/core/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

constexpr double kPercentiles[] = {0, 1, 50, 90, 95, 99, 99.9, 100};

// The nearest-rank percentile of a sorted vector: the value at rank
// ceil(p/100 * n), at least 1.
int64_t ExactPercentile(const std::vector<int64_t>& sorted, double p) {
  const double n = static_cast<double>(sorted.size());
  int64_t rank = static_cast<int64_t>(std::ceil(p * n / 100.0 * (1 - 1e-12)));
  rank = std::clamp<int64_t>(rank, 1, static_cast<int64_t>(sorted.size()));
  return sorted[rank - 1];
}

Histogram FromValues(const std::vector<int64_t>& values) {
  Histogram h;
  for (int64_t v : values) {
    h.Record(v);
  }
  return h;
}

std::vector<int64_t> Uniform(std::mt19937_64& rng, int n, int64_t lo,
                             int64_t hi) {
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  std::vector<int64_t> out(n);
  for (int64_t& v : out) v = dist(rng);
  return out;
}

std::vector<int64_t> LogNormal(std::mt19937_64& rng, int n, double mu,
                               double sigma) {
  std::lognormal_distribution<double> dist(mu, sigma);
  std::vector<int64_t> out(n);
  for (int64_t& v : out) {
    v = std::clamp<int64_t>(std::llround(dist(rng)), 1, Histogram::kMaxValue);
  }
  return out;
}

std::vector<int64_t> Bimodal(std::mt19937_64& rng, int n) {
  std::normal_distribution<double> fast(800, 50);        // ~0.8 ms
  std::normal_distribution<double> slow(250000, 20000);  // ~250 ms
  std::bernoulli_distribution pick_slow(0.3);
  std::vector<int64_t> out(n);
  for (int64_t& v : out) {
    const double x = pick_slow(rng) ? slow(rng) : fast(rng);
    v = std::max<int64_t>(1, std::llround(x));
  }
  return out;
}

struct Shape {
  std::string name;
  std::vector<int64_t> values;
};

std::vector<Shape> Shapes() {
  std::mt19937_64 rng(20240601);
  return {
      {"uniform_small", Uniform(rng, 10000, 1, 1000)},
      {"uniform_wide", Uniform(rng, 20000, 1, 3'600'000'000)},
      {"lognormal", LogNormal(rng, 50000, std::log(2000.0), 1.0)},
      {"lognormal_heavy", LogNormal(rng, 50000, std::log(500.0), 2.5)},
      {"bimodal", Bimodal(rng, 30000)},
      {"constant", std::vector<int64_t>(1000, 12345)},
      {"single", {777}},
      {"two", {3, 900000}},
      {"odd_count", Uniform(rng, 1001, 100, 100000)},
  };
}

TEST(HistogramTest, PercentilesWithinOnePercentOfExact) {
  for (const Shape& shape : Shapes()) {
    SCOPED_TRACE(shape.name);
    const Histogram h = FromValues(shape.values);
    std::vector<int64_t> sorted = shape.values;
    std::sort(sorted.begin(), sorted.end());
    ASSERT_EQ(h.count(), static_cast<int64_t>(sorted.size()));
    EXPECT_EQ(h.min(), sorted.front());
    EXPECT_EQ(h.max(), sorted.back());
    for (double p : kPercentiles) {
      SCOPED_TRACE(p);
      const int64_t exact = ExactPercentile(sorted, p);
      const int64_t got = h.ValueAtPercentile(p);
      EXPECT_LE(std::abs(got - exact), 0.01 * static_cast<double>(exact))
          << "got " << got << " exact " << exact;
      EXPECT_LE(got, h.max());
      EXPECT_GE(got, h.min());
    }
    EXPECT_EQ(h.ValueAtPercentile(0), sorted.front());
    EXPECT_EQ(h.ValueAtPercentile(100), sorted.back());
  }
}

TEST(HistogramTest, EveryPercentileOfDenseDataWithinBound) {
  // Every rank, not just a few percentiles: the bound is 1/256 with mid
  // values.
  std::mt19937_64 rng(7);
  const std::vector<int64_t> values =
      LogNormal(rng, 5000, std::log(10000.0), 1.5);
  const Histogram h = FromValues(values);
  std::vector<int64_t> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i <= 1000; ++i) {
    const double p = i / 10.0;
    const int64_t exact = ExactPercentile(sorted, p);
    const int64_t got = h.ValueAtPercentile(p);
    EXPECT_LE(std::abs(got - exact), static_cast<double>(exact) / 256.0)
        << "p " << p << " got " << got << " exact " << exact;
  }
}

TEST(HistogramTest, MeanWithinBucketPrecision) {
  for (const Shape& shape : Shapes()) {
    SCOPED_TRACE(shape.name);
    const Histogram h = FromValues(shape.values);
    double sum = 0;
    for (int64_t v : shape.values) sum += static_cast<double>(v);
    const double exact = sum / static_cast<double>(shape.values.size());
    EXPECT_NEAR(h.Mean(), exact, exact / 256.0);
  }
}

TEST(HistogramTest, BucketLayoutIsContiguousAndWithinBound) {
  EXPECT_EQ(Histogram::BucketIndex(1), 0);
  EXPECT_EQ(Histogram::BucketLowest(0), 1);
  EXPECT_EQ(Histogram::BucketIndex(Histogram::kMaxValue),
            Histogram::kBucketCount - 1);
  EXPECT_EQ(Histogram::BucketHighest(Histogram::kBucketCount - 1),
            Histogram::kMaxValue);
  // One hour fits without clamping.
  EXPECT_LT(Histogram::BucketIndex(3'600'000'000), Histogram::kBucketCount - 1);
  for (int i = 0; i < Histogram::kBucketCount; ++i) {
    const int64_t lo = Histogram::BucketLowest(i);
    const int64_t hi = Histogram::BucketHighest(i);
    const int64_t mid = Histogram::BucketValue(i);
    ASSERT_LE(lo, mid) << i;
    ASSERT_LE(mid, hi) << i;
    ASSERT_EQ(Histogram::BucketIndex(lo), i);
    ASSERT_EQ(Histogram::BucketIndex(hi), i);
    ASSERT_EQ(Histogram::BucketIndex(mid), i);
    if (i > 0) {
      ASSERT_EQ(Histogram::BucketHighest(i - 1) + 1, lo) << i;
    }
    // Exact below 256; above, width at most 1/128 of the lowest value.
    if (lo < 256) {
      ASSERT_EQ(lo, hi) << i;
    } else {
      ASSERT_LE((hi - lo + 1) * 128, lo) << i;
    }
    // Representative within 1/256 of every value in the bucket.
    ASSERT_LE((mid - lo) * 256, lo) << i;
  }
  EXPECT_EQ(Histogram::BucketValue(-1), 0);
  EXPECT_EQ(Histogram::BucketValue(Histogram::kBucketCount), 0);
}

TEST(HistogramTest, SmallValuesAreExact) {
  for (int64_t v = 1; v < 256; ++v) {
    EXPECT_EQ(Histogram::BucketValue(Histogram::BucketIndex(v)), v);
  }
}

TEST(HistogramTest, MergeEqualsRecordingEverything) {
  std::mt19937_64 rng(99);
  const std::vector<int64_t> a = LogNormal(rng, 20000, std::log(3000.0), 1.2);
  const std::vector<int64_t> b = Bimodal(rng, 15000);
  std::vector<int64_t> all = a;
  all.insert(all.end(), b.begin(), b.end());

  Histogram merged = FromValues(a);
  merged.Merge(FromValues(b));
  const Histogram direct = FromValues(all);

  EXPECT_EQ(merged, direct);
  EXPECT_EQ(merged.count(), direct.count());
  EXPECT_EQ(merged.min(), direct.min());
  EXPECT_EQ(merged.max(), direct.max());
  EXPECT_DOUBLE_EQ(merged.Mean(), direct.Mean());
  for (double p : kPercentiles) {
    EXPECT_EQ(merged.ValueAtPercentile(p), direct.ValueAtPercentile(p)) << p;
  }
}

TEST(HistogramTest, MergeIsAssociativeAndCommutative) {
  std::mt19937_64 rng(5);
  const Histogram a = FromValues(Uniform(rng, 3000, 1, 5000));
  const Histogram b = FromValues(LogNormal(rng, 3000, std::log(50000.0), 1));
  const Histogram c = FromValues(Uniform(rng, 3000, 100000, 9000000));

  Histogram ab_c = a;  // (a + b) + c
  ab_c.Merge(b);
  ab_c.Merge(c);
  Histogram bc = b;  // a + (b + c)
  bc.Merge(c);
  Histogram a_bc = a;
  a_bc.Merge(bc);
  Histogram cba = c;  // c + b + a
  cba.Merge(b);
  cba.Merge(a);

  EXPECT_EQ(ab_c, a_bc);
  EXPECT_EQ(ab_c, cba);
  EXPECT_EQ(ab_c.count(), 9000);
}

TEST(HistogramTest, MergeWithEmpty) {
  Histogram h;
  h.Record(42);
  h.Record(4200);
  const Histogram before = h;
  h.Merge(Histogram());
  EXPECT_EQ(h, before);

  Histogram empty;
  empty.Merge(before);
  EXPECT_EQ(empty, before);
  EXPECT_EQ(empty.min(), 42);
  EXPECT_EQ(empty.max(), 4200);
}

TEST(HistogramTest, Empty) {
  const Histogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.Mean(), 0);
  for (double p : kPercentiles) {
    EXPECT_EQ(h.ValueAtPercentile(p), 0);
  }
}

TEST(HistogramTest, ResetForgetsEverything) {
  Histogram h;
  h.RecordN(1000, 50);
  h.Reset();
  EXPECT_EQ(h, Histogram());
  h.Record(7);
  EXPECT_EQ(h.min(), 7);
  EXPECT_EQ(h.max(), 7);
}

TEST(HistogramTest, RecordNEqualsRepeatedRecord) {
  Histogram a;
  a.RecordN(1500, 3);
  a.RecordN(20, 2);
  a.RecordN(99, 0);   // Nothing.
  a.RecordN(99, -4);  // Nothing.
  Histogram b;
  for (int i = 0; i < 3; ++i) b.Record(1500);
  for (int i = 0; i < 2; ++i) b.Record(20);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.count(), 5);
}

TEST(HistogramTest, ClampsAtBothEnds) {
  Histogram h;
  h.Record(0);
  h.Record(-5);
  h.Record(int64_t{10} * 3'600'000'000);  // Ten hours.
  h.Record(INT64_MAX);
  EXPECT_EQ(h.count(), 4);
  EXPECT_EQ(h.min(), Histogram::kMinValue);
  EXPECT_EQ(h.max(), Histogram::kMaxValue);
  EXPECT_EQ(Histogram::BucketIndex(0), 0);
  EXPECT_EQ(Histogram::BucketIndex(INT64_MIN), 0);
  EXPECT_EQ(Histogram::BucketIndex(INT64_MAX), Histogram::kBucketCount - 1);
  EXPECT_EQ(h.ValueAtPercentile(0), Histogram::kMinValue);
  EXPECT_EQ(h.ValueAtPercentile(50), Histogram::kMinValue);
  // Rank 3 of 4: the top bucket's mid value, not max() itself.
  EXPECT_EQ(Histogram::BucketIndex(h.ValueAtPercentile(75)),
            Histogram::kBucketCount - 1);
  EXPECT_EQ(h.ValueAtPercentile(100), Histogram::kMaxValue);
  EXPECT_LE(h.ValueAtPercentile(99.9), h.max());
}

TEST(HistogramTest, PercentileArgumentIsClamped) {
  Histogram h;
  for (int64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.ValueAtPercentile(-10), 1);
  EXPECT_EQ(h.ValueAtPercentile(250), 100);
  EXPECT_EQ(h.ValueAtPercentile(std::nan("")), 1);
  EXPECT_EQ(h.ValueAtPercentile(50), 50);
  EXPECT_EQ(h.ValueAtPercentile(50.5), 51);
  EXPECT_EQ(h.ValueAtPercentile(99), 99);
}

TEST(HistogramTest, ProtoRoundTripIsLossless) {
  for (const Shape& shape : Shapes()) {
    SCOPED_TRACE(shape.name);
    const Histogram h = FromValues(shape.values);
    ::loadgen::v1::Histogram proto;
    h.ToProto(&proto);
    EXPECT_EQ(proto.total(), h.count());
    EXPECT_EQ(proto.min_us(), h.min());
    EXPECT_EQ(proto.max_us(), h.max());
    ASSERT_EQ(proto.bucket_size(), proto.count_size());
    for (int i = 0; i < proto.count_size(); ++i) {
      EXPECT_GT(proto.count(i), 0);
      if (i > 0) {
        EXPECT_LT(proto.bucket(i - 1), proto.bucket(i));
      }
    }
    // Through the wire format too.
    ::loadgen::v1::Histogram parsed;
    ASSERT_TRUE(parsed.ParseFromString(proto.SerializeAsString()));
    absl::StatusOr<Histogram> back = Histogram::FromProto(parsed);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, h);
    EXPECT_DOUBLE_EQ(back->Mean(), h.Mean());
    for (double p : kPercentiles) {
      EXPECT_EQ(back->ValueAtPercentile(p), h.ValueAtPercentile(p));
    }
  }
}

TEST(HistogramTest, EmptyProtoRoundTrip) {
  ::loadgen::v1::Histogram proto;
  Histogram().ToProto(&proto);
  EXPECT_EQ(proto.bucket_size(), 0);
  EXPECT_EQ(proto.total(), 0);
  absl::StatusOr<Histogram> back = Histogram::FromProto(proto);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, Histogram());
}

TEST(HistogramTest, ToProtoClearsOutput) {
  ::loadgen::v1::Histogram proto;
  proto.add_bucket(5);
  proto.add_count(9);
  Histogram h;
  h.Record(100);
  h.ToProto(&proto);
  ASSERT_EQ(proto.bucket_size(), 1);
  EXPECT_EQ(proto.bucket(0), Histogram::BucketIndex(100));
  EXPECT_EQ(proto.count(0), 1);
}

TEST(HistogramTest, FromProtoAcceptsUnorderedBucketsAndZeroCounts) {
  Histogram h;
  h.Record(10);
  h.Record(5000);
  ::loadgen::v1::Histogram proto;
  proto.add_bucket(Histogram::BucketIndex(5000));
  proto.add_count(1);
  proto.add_bucket(Histogram::BucketIndex(300));
  proto.add_count(0);
  proto.add_bucket(Histogram::BucketIndex(10));
  proto.add_count(1);
  proto.set_total(2);
  proto.set_min_us(10);
  proto.set_max_us(5000);
  absl::StatusOr<Histogram> back = Histogram::FromProto(proto);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, h);
}

::loadgen::v1::Histogram ValidProto() {
  Histogram h;
  h.Record(10);
  h.Record(2000);
  h.Record(90000);
  ::loadgen::v1::Histogram proto;
  h.ToProto(&proto);
  return proto;
}

TEST(HistogramTest, FromProtoRejectsMalformedInput) {
  ASSERT_TRUE(Histogram::FromProto(ValidProto()).ok());

  struct Case {
    std::string name;
    void (*mutate)(::loadgen::v1::Histogram&);
  };
  const Case cases[] = {
      {"extra bucket", [](::loadgen::v1::Histogram& p) { p.add_bucket(7); }},
      {"extra count", [](::loadgen::v1::Histogram& p) { p.add_count(1); }},
      {"negative index",
       [](::loadgen::v1::Histogram& p) { p.set_bucket(0, -1); }},
      {"index too large",
       [](::loadgen::v1::Histogram& p) {
         p.set_bucket(2, Histogram::kBucketCount);
       }},
      {"repeated index",
       [](::loadgen::v1::Histogram& p) {
         p.set_bucket(1, p.bucket(0));
         p.set_max_us(p.min_us());
       }},
      {"negative count",
       [](::loadgen::v1::Histogram& p) {
         p.set_count(1, -1);
         p.set_total(1);
       }},
      {"total too large",
       [](::loadgen::v1::Histogram& p) { p.set_total(p.total() + 1); }},
      {"total too small",
       [](::loadgen::v1::Histogram& p) { p.set_total(p.total() - 1); }},
      {"negative total", [](::loadgen::v1::Histogram& p) { p.set_total(-3); }},
      {"min outside lowest bucket",
       [](::loadgen::v1::Histogram& p) { p.set_min_us(11); }},
      {"min zero", [](::loadgen::v1::Histogram& p) { p.set_min_us(0); }},
      {"max outside highest bucket",
       [](::loadgen::v1::Histogram& p) { p.set_max_us(2000); }},
      {"max beyond range",
       [](::loadgen::v1::Histogram& p) {
         p.set_max_us(Histogram::kMaxValue + 1);
       }},
      {"counts overflow",
       [](::loadgen::v1::Histogram& p) {
         p.set_count(0, INT64_MAX);
         p.set_total(INT64_MAX);
       }},
      {"empty with min",
       [](::loadgen::v1::Histogram& p) {
         p.clear_bucket();
         p.clear_count();
         p.set_total(0);
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ::loadgen::v1::Histogram proto = ValidProto();
    c.mutate(proto);
    absl::StatusOr<Histogram> h = Histogram::FromProto(proto);
    EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument)
        << h.status();
  }
}

TEST(HistogramTest, FromProtoRejectsMinAboveMaxInOneBucket) {
  ::loadgen::v1::Histogram proto;
  proto.add_bucket(Histogram::BucketIndex(1000));
  proto.add_count(2);
  proto.set_total(2);
  proto.set_min_us(Histogram::BucketHighest(Histogram::BucketIndex(1000)));
  proto.set_max_us(Histogram::BucketLowest(Histogram::BucketIndex(1000)));
  EXPECT_EQ(Histogram::FromProto(proto).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HistogramTest, MemoryIsFixed) {
  const size_t size = sizeof(Histogram);
  EXPECT_EQ(size, sizeof(int64_t) * (Histogram::kBucketCount + 3));
  EXPECT_LE(size, 32 * 1024u);
  Histogram h;
  std::mt19937_64 rng(1);
  for (int64_t v : Uniform(rng, 100000, -10, int64_t{1} << 40)) h.Record(v);
  EXPECT_EQ(sizeof(h), size);
  ::loadgen::v1::Histogram proto;
  h.ToProto(&proto);
  EXPECT_LE(proto.bucket_size(), Histogram::kBucketCount);
}

}  // namespace
}  // namespace asyncgrpc::loadgen
