// `loadgen diff A B [--fail_on_regression PCT]`: reads two runs (each a
// results directory, a results.json, or a log holding one --print_results
// block: as `loadgen merge` reads its inputs), compares them (diff.h), prints
// the comparison (format.h) and says by its exit code whether B regressed.
//
//   int main(...) {
//     ...
//     return DiffCommand(args[1], args[2], fail_on_regression, std::cout,
//                        std::cerr);
//   }
#pragma once

#include <optional>
#include <ostream>
#include <string>

namespace asyncgrpc::loadgen {

// The exit code of `loadgen diff A B [--fail_on_regression PCT]`: 0; 1 when
// PCT is given and B is significantly worse than A by more than PCT percent
// at any step (Regressed), with one line on `err` saying so; 2 for bad input
// (PCT not above 0, an input unreadable or not one run, runs unrelated or of
// different configs), with one line "loadgen: ..." on `err` and nothing on
// `out`. The comparison goes to `out` whenever there is one.
int DiffCommand(const std::string& a, const std::string& b,
                std::optional<double> fail_on_regression_pct, std::ostream& out,
                std::ostream& err);

}  // namespace asyncgrpc::loadgen
