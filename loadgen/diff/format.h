// `loadgen diff`'s text: a header naming the test, a table per target (step,
// load, then rps and p50/p95/p99 as "A → B (change)", `*` where the change
// is significant) and, last, one verdict line per target:
//
//   sync: B is worse at 3 of 10 steps (p95 at 2, p99 at 3); worst: p99 +35.0% at step 7 (users 80)
//   async: no significant difference at any of 10 steps
//
// with, where they apply, "; B is better at ..." (both are reported), "; 2 of
// 10 steps too short to test" and "; A ran 10 steps, B ran 7".
//
//   ASSIGN_OR_RETURN(DiffReport report, DiffResults(before, after));
//   std::cout << FormatDiff(report);
#pragma once

#include <string>

#include "loadgen/diff/diff.h"

namespace asyncgrpc::loadgen {

// The whole text, ending in a newline.
std::string FormatDiff(const DiffReport& report);

// One target's verdict, without a newline; `load_name` is
// DiffReport::load_name.
std::string Verdict(const std::string& load_name, const TargetDiff& target);

}  // namespace asyncgrpc::loadgen
