#include "loadgen/diff/diff_command.h"

#include <cmath>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "loadgen/diff/diff.h"
#include "loadgen/diff/format.h"
#include "loadgen/distributed/merge_input.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

// The one run at `path`, and where it was read from.
absl::StatusOr<MergeInput> ReadRun(const std::string& path) {
  absl::StatusOr<std::vector<MergeInput>> inputs = ReadMergeInput(path);
  if (!inputs.ok()) {
    return absl::Status(inputs.status().code(),
                        absl::StrCat("diff: ", inputs.status().message()));
  }
  if (inputs->size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "diff: ", path, " holds ", inputs->size(),
        " runs (--print_results blocks); give one (merge the shards of a "
        "distributed run first: loadgen merge)"));
  }
  return std::move(inputs->front());
}

int BadInput(std::ostream& err, absl::string_view message) {
  err << "loadgen: " << message << std::endl;
  return 2;
}

}  // namespace

int DiffCommand(const std::string& a, const std::string& b,
                std::optional<double> fail_on_regression_pct, std::ostream& out,
                std::ostream& err) {
  if (fail_on_regression_pct.has_value() &&
      !(std::isfinite(*fail_on_regression_pct) &&
        *fail_on_regression_pct > 0)) {
    return BadInput(err, absl::StrCat("--fail_on_regression must be a "
                                      "percentage above 0, not ",
                                      *fail_on_regression_pct));
  }
  absl::StatusOr<MergeInput> run_a = ReadRun(a);
  if (!run_a.ok()) {
    return BadInput(err, run_a.status().message());
  }
  absl::StatusOr<MergeInput> run_b = ReadRun(b);
  if (!run_b.ok()) {
    return BadInput(err, run_b.status().message());
  }
  absl::StatusOr<DiffReport> report =
      DiffResults(run_a->results, run_b->results);
  if (!report.ok()) {
    return BadInput(err, report.status().message());
  }
  out << "A: " << run_a->source << "\nB: " << run_b->source << "\n"
      << FormatDiff(*report) << std::flush;
  if (fail_on_regression_pct.has_value() &&
      Regressed(*report, *fail_on_regression_pct)) {
    err << "loadgen: B is significantly worse than A by more than "
        << *fail_on_regression_pct << "% at some step (--fail_on_regression)"
        << std::endl;
    return 1;
  }
  return 0;
}

}  // namespace asyncgrpc::loadgen
