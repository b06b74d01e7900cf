#include "loadgen/sweep/sweep_command.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "loadgen/distributed/merge_input.h"
#include "loadgen/report/outputs.h"
#include "loadgen/sweep/sweep.h"
#include "loadgen/verdict/verdict.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

int BadInput(std::ostream& err, absl::string_view message) {
  err << "loadgen: sweep: " << message << std::endl;
  return 2;
}

// "upstream_delay", "max_threads": a knob's name as compare gives it.
bool IsKnobName(const std::string& name) {
  return !name.empty() && name.front() >= 'a' && name.front() <= 'z' &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

// DIR as sweep.json's directory reaches it.
std::string RelativeTo(const std::string& dir, const std::string& out_dir) {
  std::error_code error;
  const std::filesystem::path relative =
      std::filesystem::proximate(dir, out_dir, error);
  return error ? dir : relative.string();
}

// VALUE=DIR, read: the value, its directory and its run.
absl::StatusOr<SweepInput> ReadValue(const std::string& arg,
                                     const std::string& out_dir) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", arg, "\" is not VALUE=DIR"));
  }
  const std::string dir = arg.substr(eq + 1);
  absl::StatusOr<std::vector<MergeInput>> runs = ReadMergeInput(dir);
  if (!runs.ok()) {
    return runs.status();
  }
  if (runs->size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, " holds ", runs->size(), " runs, not one"));
  }
  return SweepInput{.value = arg.substr(0, eq),
                    .directory = RelativeTo(dir, out_dir),
                    .results = std::move(runs->front().results)};
}

}  // namespace

int SweepCommand(const SweepFlags& flags, std::ostream& out,
                 std::ostream& err) {
  if (flags.args.size() < 2 || !IsKnobName(flags.args[0])) {
    return BadInput(err, "give NAME (lower_case) and at least one VALUE=DIR");
  }
  if (flags.out_dir.empty()) {
    return BadInput(err, "needs --out DIR");
  }
  std::vector<SweepInput> inputs;
  for (size_t i = 1; i < flags.args.size(); ++i) {
    absl::StatusOr<SweepInput> input = ReadValue(flags.args[i], flags.out_dir);
    if (!input.ok()) {
      return BadInput(err, input.status().message());
    }
    inputs.push_back(*std::move(input));
  }
  absl::StatusOr<pb::Results> sweep =
      BuildSweep(flags.args[0], std::move(inputs), flags.description);
  if (!sweep.ok()) {
    return BadInput(err, sweep.status().message());
  }
  sweep->mutable_config()->set_command(flags.command);
  if (absl::Status status = CheckOutputDir(flags.out_dir); !status.ok()) {
    return BadInput(err, status.message());
  }
  if (absl::Status status = WriteOutputs(*sweep, flags.out_dir); !status.ok()) {
    err << "loadgen: sweep: " << status.message() << std::endl;
    return 1;
  }
  out << "sweep: " << flags.out_dir << "/sweep.json, " << flags.out_dir
      << "/report.html\n"
      << VerdictText(sweep->verdict()) << std::flush;
  return 0;
}

}  // namespace asyncgrpc::loadgen
