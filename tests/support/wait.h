// WaitFor: polls a condition until it holds or a timeout expires, so tests
// wait on observable state instead of fixed sleeps.
//
//   ASSERT_TRUE(WaitFor([&] { return !server->Running(); }, absl::Seconds(5)));
#pragma once

#include <algorithm>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace asyncgrpc::testing {

// Calls `condition()` (anything returning a value convertible to bool) every
// `poll` until it returns true (-> true) or `timeout` has passed (-> false).
// The condition is always evaluated at least once, and once more at the
// deadline.
template <typename F>
bool WaitFor(F condition, absl::Duration timeout,
             absl::Duration poll = absl::Milliseconds(20)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (static_cast<bool>(condition())) return true;
    const absl::Time now = absl::Now();
    if (now >= deadline) return false;
    absl::SleepFor(std::min(poll, deadline - now));
  }
}

}  // namespace asyncgrpc::testing
