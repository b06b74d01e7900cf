#include "loadgen/sweep/value.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace asyncgrpc::loadgen {

absl::StatusOr<SweptValue> ParseSweptValue(absl::string_view value) {
  double number = 0;
  if (absl::SimpleAtod(value, &number)) {
    if (std::isfinite(number) && number >= 0) {
      return SweptValue{.number = number};
    }
  } else if (absl::Duration duration; absl::ParseDuration(value, &duration) &&
                                      duration >= absl::ZeroDuration() &&
                                      duration < absl::InfiniteDuration()) {
    return SweptValue{.number = absl::ToDoubleMilliseconds(duration),
                      .unit = "ms"};
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "swept value \"", value,
      "\" is neither a duration (20ms, 1.5s) nor a non-negative number"));
}

}  // namespace asyncgrpc::loadgen
