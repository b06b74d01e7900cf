#include "loadgen/distributed/framing.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/base/status_macros.h"
#include "loadgen/report/outputs.h"

namespace asyncgrpc::loadgen {
namespace {

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// A leading RFC 3339 timestamp and the blank after it, as `kubectl logs
// --timestamps` and most log collectors write them.
absl::string_view StripTimestamp(absl::string_view line) {
  if (line.empty() ||
      !absl::ascii_isdigit(static_cast<unsigned char>(line[0]))) {
    return line;
  }
  const size_t blank = line.find(' ');
  if (blank == absl::string_view::npos || blank > 40) {
    return line;
  }
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(line.substr(0, blank)),
                       &time, &error)) {
    return line;
  }
  return line.substr(blank + 1);
}

}  // namespace

absl::StatusOr<std::string> FrameResults(
    const ::loadgen::v1::Results& results) {
  ASSIGN_OR_RETURN(const std::string json,
                   ResultsToJson(results, /*one_line=*/true));
  return absl::StrCat(kResultsBegin, "\n", json, "\n", kResultsEnd, "\n");
}

absl::StatusOr<std::vector<ResultsBlock>> FindResultsBlocks(
    absl::string_view text) {
  struct Open {
    ResultsBlock block;
    std::string prefix;
  };
  std::vector<Open> open;
  std::vector<ResultsBlock> blocks;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    absl::ConsumeSuffix(&line, "\r");
    line = StripTimestamp(line);
    if (const size_t at = line.find(kResultsBegin);
        at != absl::string_view::npos) {
      const std::string prefix(line.substr(0, at));
      for (const Open& o : open) {
        if (o.prefix == prefix) {
          return Invalid(
              absl::StrCat("line ", number,
                           ": a results block begins before the one begun "
                           "at line ",
                           o.block.line, " ended (cut-off output?)"));
        }
      }
      open.push_back({.block = {.line = number}, .prefix = prefix});
      continue;
    }
    if (const size_t at = line.find(kResultsEnd);
        at != absl::string_view::npos) {
      const absl::string_view prefix = line.substr(0, at);
      const auto it =
          std::find_if(open.begin(), open.end(),
                       [&](const Open& o) { return o.prefix == prefix; });
      if (it == open.end()) {
        return Invalid(absl::StrCat("line ", number,
                                    ": a results block ends that never began"));
      }
      blocks.push_back(std::move(it->block));
      open.erase(it);
      continue;
    }
    // Content belongs to the open block with the longest prefix it carries.
    Open* owner = nullptr;
    for (Open& o : open) {
      if (absl::StartsWith(line, o.prefix) &&
          (owner == nullptr || o.prefix.size() > owner->prefix.size())) {
        owner = &o;
      }
    }
    if (owner != nullptr) {
      line.remove_prefix(owner->prefix.size());
      absl::StrAppend(&owner->block.json, line);
    }
  }
  if (!open.empty()) {
    return Invalid(absl::StrCat("line ", open.front().block.line,
                                ": a results block never ends (no \"",
                                kResultsEnd, "\" line; cut-off output?)"));
  }
  std::sort(blocks.begin(), blocks.end(),
            [](const ResultsBlock& a, const ResultsBlock& b) {
              return a.line < b.line;
            });
  return blocks;
}

}  // namespace asyncgrpc::loadgen
