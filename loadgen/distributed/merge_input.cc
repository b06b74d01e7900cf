#include "loadgen/distributed/merge_input.h"

#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/base/status_macros.h"
#include "loadgen/distributed/framing.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// `json` as loadgen.v1.Results. Unknown fields are refused, so that JSON that
// is not a loadgen run's results is not merged as if it were one.
absl::StatusOr<pb::Results> ParseResultsJson(const std::string& json,
                                             absl::string_view source) {
  pb::Results results;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status =
      google::protobuf::util::JsonStringToMessage(json, &results, options);
  if (!status.ok()) {
    return Invalid(absl::StrCat(
        source,
        ": not the JSON of loadgen.v1.Results: ", status.message().ToString()));
  }
  return results;
}

}  // namespace

absl::StatusOr<std::vector<MergeInput>> ReadMergeInput(
    const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::path file = path;
  if (fs::is_directory(file, error)) {
    file /= "results.json";
  }
  if (!fs::is_regular_file(file, error)) {
    return absl::NotFoundError(
        absl::StrCat(file.string(),
                     ": no such file (give a results.json, a directory "
                     "holding one, or a log with --print_results blocks)"));
  }
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat(file.string(), ": cannot read it"));
  }
  std::vector<MergeInput> inputs;
  if (!absl::StrContains(text, kResultsBegin)) {
    ASSIGN_OR_RETURN(pb::Results results,
                     ParseResultsJson(text, file.string()));
    inputs.push_back({.source = file.string(), .results = std::move(results)});
    return inputs;
  }
  absl::StatusOr<std::vector<ResultsBlock>> blocks = FindResultsBlocks(text);
  if (!blocks.ok()) {
    return Invalid(
        absl::StrCat(file.string(), ": ", blocks.status().message()));
  }
  for (ResultsBlock& block : *blocks) {
    const std::string source = absl::StrCat(file.string(), ":", block.line);
    ASSIGN_OR_RETURN(pb::Results results, ParseResultsJson(block.json, source));
    inputs.push_back({.source = source, .results = std::move(results)});
  }
  return inputs;
}

}  // namespace asyncgrpc::loadgen
