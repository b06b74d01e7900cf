// A Prometheus/OpenMetrics exposition text parser: Prometheus text format
// 0.0.4 and OpenMetrics 1.0 text alike (HELP/TYPE/other comments, label
// escapes, trailing commas, NaN/±Inf, timestamps, exemplars, "# EOF", quoted
// UTF-8 names), and histogram quantiles interpolated within buckets as PromQL's
// histogram_quantile does. Generic: nothing here knows asyncgrpc's metrics
// (step_metrics.h does). Hand-written because no maintained Debian library
// parses Prometheus text (prometheus-cpp only writes it); pure logic, no I/O.
//
//   absl::StatusOr<Exposition> e = ParseExposition("up{job=\"a\"} 1\n");
//   if (e.ok()) {
//     for (const Sample& s : e->samples) Use(s.name, s.Label("job"), s.value);
//   }
//   std::optional<double> p99 =
//       BucketQuantile({{0.001, 90}, {0.01, 100}, {HUGE_VAL, 100}}, 0.99);
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace asyncgrpc::loadgen {

struct Sample {
  std::string name;
  // Sorted by label name; a label repeated on a line keeps its last value.
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;

  // The value of label `name`, or "" when absent.
  const std::string& Label(absl::string_view name) const;
};

struct Exposition {
  std::vector<Sample> samples;
  // Metric family name -> type ("counter", "gauge", "histogram", ...), from
  // the TYPE comments.
  std::map<std::string, std::string> types;
  // Lines that were neither comments nor samples (skipped).
  int bad_lines = 0;

  // The type of the family `sample_name` belongs to: its own TYPE, or that of
  // the name without its FamilySuffix; "untyped" when none is declared.
  std::string TypeOf(absl::string_view sample_name) const;
};

// Parses exposition text. Lines that do not parse are skipped and counted;
// INVALID_ARGUMENT when nothing parsed but such lines (e.g. an HTML page).
absl::StatusOr<Exposition> ParseExposition(absl::string_view text);

// A sample value or a bound written as one (a histogram's "le" label), in the
// forms of Go's strconv.ParseFloat that the formats use: decimal, exponent,
// NaN, [+-]Inf (any case). nullopt when `token` is none of them.
std::optional<double> ParseValue(absl::string_view token);

// The suffix that makes `sample_name` a part of a larger family (histogram,
// summary, counter, info): "_bucket", "_count", "_sum", "_total", "_created",
// "_info", "_gcount" or "_gsum"; "" when it has none of them.
absl::string_view FamilySuffix(absl::string_view sample_name);

// One histogram bucket: the cumulative count of observations <= `le`.
struct Bucket {
  double le = 0;  // +Inf for the last bucket.
  double count = 0;
};

// The q-quantile (0 < q < 1) of cumulative buckets sorted by `le`, as PromQL's
// histogram_quantile: linear interpolation within the bucket that holds the
// rank (from 0 for the first bucket when its bound is positive); the highest
// finite bound when the rank falls in the +Inf bucket. nullopt with no
// observations.
std::optional<double> BucketQuantile(const std::vector<Bucket>& buckets,
                                     double q);

}  // namespace asyncgrpc::loadgen
