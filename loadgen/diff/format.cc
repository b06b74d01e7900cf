#include "loadgen/diff/format.h"

#include <algorithm>
#include <array>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace asyncgrpc::loadgen {
namespace {

const MetricDiff& Of(const StepDiff& step, Metric metric) {
  return step.metrics[static_cast<int>(metric)];
}

std::string ChangeText(const MetricDiff& diff) {
  return diff.change_pct.has_value()
             ? absl::StrFormat("%+.1f%%", *diff.change_pct)
             : std::string("from 0");
}

std::string Cell(Metric metric, const MetricDiff& diff) {
  const int digits = metric == Metric::kRps ? 1 : 2;
  return absl::StrFormat("%.*f → %.*f (%s)%s", digits, diff.a, digits, diff.b,
                         ChangeText(diff),
                         diff.change != Change::kNone ? "*" : "");
}

bool TooShort(const StepDiff& step) {
  return std::min(step.seconds_a, step.seconds_b) < kMinSamples;
}

std::string Note(const StepDiff& step) {
  if (TooShort(step)) {
    return absl::StrFormat("too short to test (%d s in A, %d s in B)",
                           step.seconds_a, step.seconds_b);
  }
  for (Metric metric : kMetrics) {
    if (!Of(step, metric).tested) {
      return "too few seconds with calls to test latency";
    }
  }
  return "";
}

// Display width: "→" is three bytes but one column.
size_t Width(absl::string_view text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (c & 0xC0) != 0x80; });
}

// Columns left-aligned, two spaces apart, trailing spaces trimmed.
std::string Aligned(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], Width(row[i]));
    }
  }
  std::string text;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i],
                      std::string(widths[i] - Width(row[i]) + 2, ' '));
    }
    line.erase(line.find_last_not_of(' ') + 1);
    absl::StrAppend(&text, line, "\n");
  }
  return text;
}

std::string Table(const std::string& load_name, const TargetDiff& target) {
  std::vector<std::vector<std::string>> rows = {
      {"step", load_name, "rps A → B (change)", "p50 ms A → B (change)",
       "p95 ms A → B (change)", "p99 ms A → B (change)", ""}};
  for (const StepDiff& step : target.steps) {
    std::vector<std::string> row = {absl::StrCat(step.index),
                                    absl::StrFormat("%g", step.load)};
    for (Metric metric : kMetrics) {
      row.push_back(Cell(metric, Of(step, metric)));
    }
    row.push_back(Note(step));
    rows.push_back(std::move(row));
  }
  return absl::StrCat(target.name, " (A ran ", target.steps_a, " steps, B ",
                      target.steps_b, ")\n", Aligned(rows));
}

// The steps where B went `way` in some metric, how many per metric, and the
// step and metric that went furthest.
struct Finding {
  int steps = 0;
  std::array<int, kMetrics.size()> by_metric = {};
  const StepDiff* step = nullptr;
  Metric metric = Metric::kRps;
  // How far it went that way, in percent (infinite for a change from 0).
  double extent = 0;
};

Finding Find(const TargetDiff& target, Change way) {
  Finding found;
  for (const StepDiff& step : target.steps) {
    bool counted = false;
    for (Metric metric : kMetrics) {
      if (Of(step, metric).change != way) {
        continue;
      }
      ++found.by_metric[static_cast<int>(metric)];
      counted = true;
      const double worsening = WorseningPct(metric, Of(step, metric));
      const double extent = way == Change::kWorse ? worsening : -worsening;
      // Equal changes (to rounding) name the first step and metric.
      if (found.step == nullptr || extent > found.extent + 1e-9) {
        found.step = &step;
        found.metric = metric;
        found.extent = extent;
      }
    }
    found.steps += counted ? 1 : 0;
  }
  return found;
}

std::string Describe(const std::string& load_name, const TargetDiff& target,
                     Change way) {
  const Finding found = Find(target, way);
  std::vector<std::string> metrics;
  for (Metric metric : kMetrics) {
    if (const int n = found.by_metric[static_cast<int>(metric)]; n > 0) {
      metrics.push_back(absl::StrCat(MetricName(metric), " at ", n));
    }
  }
  const bool worse = way == Change::kWorse;
  return absl::StrFormat(
      "B is %s at %d of %d steps (%s); %s: %s %s at step %d (%s %g)",
      worse ? "worse" : "better", found.steps, target.steps.size(),
      absl::StrJoin(metrics, ", "), worse ? "worst" : "best",
      MetricName(found.metric), ChangeText(Of(*found.step, found.metric)),
      found.step->index, load_name, found.step->load);
}

}  // namespace

std::string Verdict(const std::string& load_name, const TargetDiff& target) {
  const int steps = static_cast<int>(target.steps.size());
  const int too_short = static_cast<int>(
      std::count_if(target.steps.begin(), target.steps.end(), TooShort));
  std::vector<std::string> parts;
  for (Change way : {Change::kWorse, Change::kBetter}) {
    if (Find(target, way).steps > 0) {
      parts.push_back(Describe(load_name, target, way));
    }
  }
  if (steps == 0) {
    parts.push_back("no step to compare");
  } else if (parts.empty() && too_short == 0) {
    parts.push_back(
        absl::StrCat("no significant difference at any of ", steps, " steps"));
  } else if (parts.empty()) {
    parts.push_back(absl::StrCat("no significant difference at any of ",
                                 steps - too_short, " tested steps"));
  }
  if (too_short > 0) {
    parts.push_back(absl::StrCat(too_short, " of ", steps,
                                 " steps too short to test (fewer than ",
                                 kMinSamples, " seconds measured)"));
  }
  if (target.steps_a != target.steps_b) {
    parts.push_back(absl::StrCat("A ran ", target.steps_a, " steps, B ran ",
                                 target.steps_b));
  }
  return absl::StrCat(target.name, ": ", absl::StrJoin(parts, "; "));
}

std::string FormatDiff(const DiffReport& report) {
  std::string text = absl::StrFormat(
      "B vs A, per target and step: the change of the step's figure; * = "
      "significant: two-sided Mann-Whitney U test on the step's per-second "
      "samples (timeline, measured window; normal approximation, tie- and "
      "continuity-corrected), alpha %g, at least %d seconds a side\n",
      kAlpha, kMinSamples);
  for (const TargetDiff& target : report.targets) {
    absl::StrAppend(&text, "\n", Table(report.load_name, target));
  }
  absl::StrAppend(&text, "\n");
  for (const TargetDiff& target : report.targets) {
    absl::StrAppend(&text, Verdict(report.load_name, target), "\n");
  }
  return text;
}

}  // namespace asyncgrpc::loadgen
