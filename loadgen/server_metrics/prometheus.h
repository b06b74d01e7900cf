// Reading a Prometheus metrics endpoint's text and turning two scrapes into
// what a step's ServerMetrics says: the exposition parser (Prometheus text
// format 0.0.4 and OpenMetrics 1.0 text alike: HELP/TYPE/other comments, label
// escapes, trailing commas, NaN/±Inf, timestamps, exemplars, "# EOF", quoted
// UTF-8 names) and the arithmetic (counter increases with reset handling,
// histogram quantiles interpolated within buckets as PromQL's
// histogram_quantile does). Pure logic: no sockets here (metrics_scraper.h).
//
//   absl::StatusOr<Exposition> before = ParseExposition(text_at_window_start);
//   absl::StatusOr<Exposition> after = ParseExposition(text_at_window_end);
//   ::loadgen::v1::ServerMetrics metrics;
//   ComputeServerMetrics(*before, *after, /*window_s=*/8.0, &metrics);
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loadgen/results.pb.h"

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
  // the name without a _bucket/_sum/_count/_total/_created/... suffix;
  // "untyped" when none is declared.
  std::string TypeOf(absl::string_view sample_name) const;
};

// Parses exposition text. Lines that do not parse are skipped and counted;
// INVALID_ARGUMENT when nothing parsed but such lines (e.g. an HTML page).
absl::StatusOr<Exposition> ParseExposition(absl::string_view text);

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

// The step's server-side figures from the scrapes at the measured window's
// start (`before`) and end (`after`), `window_s` apart: increases of
// asyncgrpc_rpcs_total{method,code} and of asyncgrpc_rpc_duration_seconds
// (percentiles per method and over all methods, on the bucket bounds all
// methods share), the asyncgrpc_* gauges and process_* metrics at the end, and
// process_cpu_seconds_total's increase as cores. A counter that went down (the
// server restarted) counts from 0. Sets `service` from the `service` label.
// Leaves `url` and `error` alone.
void ComputeServerMetrics(const Exposition& before, const Exposition& after,
                          double window_s, ::loadgen::v1::ServerMetrics* out);

}  // namespace asyncgrpc::loadgen
