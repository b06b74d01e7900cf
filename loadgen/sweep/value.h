// A swept value as scripts/compare passes it ("20ms", "1.5s", "800") turned
// into the number its charts plot: durations in milliseconds, counts as they
// are.
//
//   absl::StatusOr<SweptValue> v = ParseSweptValue("20ms");  // {20, "ms"}
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace asyncgrpc::loadgen {

struct SweptValue {
  double number = 0;
  // "ms" for a duration, empty for a count.
  std::string unit;
};

// INVALID_ARGUMENT naming `value` when it is neither a duration with a unit
// (absl::ParseDuration: "0", "250us", "20ms", "1.5s") nor a non-negative
// finite number.
absl::StatusOr<SweptValue> ParseSweptValue(absl::string_view value);

}  // namespace asyncgrpc::loadgen
