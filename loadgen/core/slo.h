// A service-level objective (--slo "p99<=50ms,errors<=0.1%") and the judgement
// of a step against it: the capacity search (capacity.h) asks of every step
// and probe whether it met the SLO, and results.json says why one did not.
//
//   absl::StatusOr<Slo> slo = ParseSlo("p99<=20ms,errors<=0.1%");
//   std::string miss = SloMiss(*slo, step);  // "" when met
//   if (!miss.empty()) std::cout << "missed: " << miss;  // "p99 31.2 ms > 20 ms"
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

struct LatencyBound {
  // "p50", "p90", "p95", "p99" or "p999".
  std::string percentile;
  double most_ms = 0;
};

struct Slo {
  // As given, for the record.
  std::string spec;
  std::vector<LatencyBound> latency;
  // Failed calls / calls, 0..1; absent: errors are not judged.
  std::optional<double> most_error_ratio;
};

// Comma-separated terms, each once, at least one: pNN<=DURATION (p50, p90,
// p95, p99, p999; DURATION with a unit: 20ms, 1.5s, 800us) and
// errors<=PERCENT ("0.1%", "0"). INVALID_ARGUMENT naming --slo otherwise.
absl::StatusOr<Slo> ParseSlo(absl::string_view spec);

// Why `step` missed the SLO ("p99 31.2 ms > 20 ms; errors 2.1% > 0.1%"), or
// "" when it met it. A step without calls misses it.
std::string SloMiss(const Slo& slo, const ::loadgen::v1::Step& step);

// --slo_precision: "5%" or a fraction ("0.05"), within (0, 50%].
absl::StatusOr<double> ParseSloPrecision(absl::string_view spec);

}  // namespace asyncgrpc::loadgen
