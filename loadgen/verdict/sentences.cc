// Capacity, peak throughput and CPU per call; how each arm failed is in
// failure_sentence.cc.
#include "loadgen/verdict/sentences.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "loadgen/verdict/figure_range.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

std::string RunsPhrase(int runs) {
  return runs == 1 ? "In this single run"
                   : absl::StrFormat("Over %d runs", runs);
}

// One figure of both arms, by the claim rule: `what` names it ("load under
// the SLO ..."), `unit` follows each figure.
std::string CompareSentence(const std::string& what, const std::string& unit,
                            const Arm& a, const FigureRange& ra, const Arm& b,
                            const FigureRange& rb) {
  switch (Claim(ra, rb)) {
    case Comparison::kAAbove:
    case Comparison::kBAbove: {
      const bool a_wins = Claim(ra, rb) == Comparison::kAAbove;
      const Arm& winner = a_wins ? a : b;
      const Arm& loser = a_wins ? b : a;
      const FigureRange& rw = a_wins ? ra : rb;
      const FigureRange& rl = a_wins ? rb : ra;
      return absl::StrFormat(
          "%s sustained more %s: %s %s against %s's %s, %.2fx as much.",
          winner.name, what, Describe(rw), unit, loser.name, Describe(rl),
          rl.median > 0 ? rw.median / rl.median : 0.0);
    }
    case Comparison::kOverlap:
      return absl::StrFormat(
          "Neither arm sustained more %s: %s %s and %s %s %s overlap, so no "
          "difference is claimed.",
          what, a.name, Describe(ra), b.name, Describe(rb), unit);
    case Comparison::kTooFewRuns:
      return absl::StrFormat(
          "%s, the %s was %s %s for %s and %s for %s; %s no claim of a "
          "difference.",
          RunsPhrase(ra.runs), what, Describe(ra), unit, a.name, Describe(rb),
          b.name, ra.runs == 1 ? "one run supports" : "so few runs support");
    case Comparison::kNotInEveryRun:
      break;
  }
  return absl::StrFormat(
      "The %s could not be compared: found in %d of %d runs of %s and %d of "
      "%d of %s.",
      what, ra.found, ra.runs, a.name, rb.found, rb.runs, b.name);
}

// Why an arm's capacity cannot be compared, or empty when it can.
std::string CapacityProblem(const Arm& arm) {
  int undecided = 0;
  int below = 0;
  for (const RunFigures& run : arm.figures) {
    undecided += run.capacity_status == "undecided";
    below += run.capacity_status == "below_ramp_start";
  }
  const int runs = static_cast<int>(arm.figures.size());
  std::vector<std::string> problems;
  if (undecided > 0) {
    problems.push_back(absl::StrFormat(
        "%s's search met an invalid step (loadgen was the bottleneck) in %d "
        "of %d runs",
        arm.name, undecided, runs));
  }
  if (below > 0) {
    problems.push_back(absl::StrFormat(
        "%s missed it already at the ramp's first step in %d of %d runs",
        arm.name, below, runs));
  }
  return absl::StrJoin(problems, "; ");
}

FigureRange CapacityRange(const Arm& arm) {
  std::vector<double> values;
  for (const RunFigures& run : arm.figures) {
    if (run.capacity.has_value()) {
      values.push_back(*run.capacity);
    }
  }
  return FigureRange::Of(values, static_cast<int>(arm.figures.size()));
}

// "sync in 2 of 3 runs": how often `arm` met the SLO up to the ramp's end.
std::string LowerBoundNote(const Arm& arm) {
  const auto at_end = std::count_if(
      arm.figures.begin(), arm.figures.end(),
      [](const auto& r) { return r.capacity_status == "at_least_ramp_end"; });
  if (at_end == 0) {
    return "";
  }
  return absl::StrFormat("%s in %d of %d runs", arm.name, at_end,
                         arm.figures.size());
}

// The highest load of `a`'s first run that every run of both arms ran clean.
std::optional<double> HighestCleanLoad(const Arm& a, const Arm& b) {
  std::optional<double> best;
  for (const pb::Step& step : a.runs.front()->steps()) {
    const double load = LoadOf(step);
    bool clean = true;
    for (const Arm* arm : {&a, &b}) {
      for (const pb::TargetResult* run : arm->runs) {
        const pb::Step* at = StepAt(*run, load);
        clean = clean && at != nullptr && RanClean(*at);
      }
    }
    if (clean && (!best.has_value() || load > *best)) {
      best = load;
    }
  }
  return best;
}

// "sync: server 141 µs, PostgreSQL 60 µs, loadgen 120 µs".
std::string CpuOf(const Arm& arm, double load, const std::string& unit,
                  Facts& facts) {
  std::vector<std::string> parts;
  for (const auto& [key, label] :
       std::vector<std::pair<std::string, std::string>>{
           {arm.name, "server"},
           {"db", "PostgreSQL"},
           {"loadgen", "loadgen"}}) {
    std::vector<double> values;
    for (const pb::TargetResult* run : arm.runs) {
      const auto& cpu = StepAt(*run, load)->cpu_per_call_us();
      if (const auto it = cpu.find(key); it != cpu.end()) {
        values.push_back(it->second);
      }
    }
    if (values.empty()) {
      continue;
    }
    const FigureRange range =
        FigureRange::Of(values, static_cast<int>(arm.runs.size()));
    pb::VerdictFact fact = FactOf("cpu_per_call_us", arm.name, range);
    fact.set_detail(key);
    fact.set_load(load);
    fact.set_load_unit(unit);
    *facts.Add() = std::move(fact);
    parts.push_back(absl::StrCat(label, " ", Describe(range), " µs"));
  }
  return absl::StrCat(
      arm.name, ": ",
      parts.empty() ? "not recorded" : absl::StrJoin(parts, ", "));
}

}  // namespace

std::string CapacitySentence(const std::string& slo, const std::string& unit,
                             const Arm& a, const Arm& b, Facts& facts) {
  if (slo.empty()) {
    return "No SLO was given (--slo), so no capacity was searched.";
  }
  std::vector<std::string> problems;
  for (const Arm* arm : {&a, &b}) {
    if (std::string problem = CapacityProblem(*arm); !problem.empty()) {
      problems.push_back(std::move(problem));
    }
  }
  if (!problems.empty()) {
    return absl::StrCat(
        "Capacity under the SLO ", slo,
        " could not be compared: ", absl::StrJoin(problems, "; "), ".");
  }
  const FigureRange ra = CapacityRange(a);
  const FigureRange rb = CapacityRange(b);
  for (const auto& [arm, range] : {std::pair{&a, ra}, std::pair{&b, rb}}) {
    pb::VerdictFact fact = FactOf("capacity", arm->name, range);
    fact.set_load_unit(unit);
    *facts.Add() = std::move(fact);
  }
  std::string sentence = CompareSentence(
      absl::StrCat("load under the SLO ", slo), unit, a, ra, b, rb);
  std::vector<std::string> notes;
  for (const Arm* arm : {&a, &b}) {
    if (std::string note = LowerBoundNote(*arm); !note.empty()) {
      notes.push_back(std::move(note));
    }
  }
  if (!notes.empty()) {
    sentence.pop_back();  // the full stop
    absl::StrAppend(&sentence,
                    " (lower bounds where an arm met the SLO up to the "
                    "ramp's end: ",
                    absl::StrJoin(notes, ", "), ").");
  }
  return sentence;
}

std::string PeakSentence(const Arm& a, const Arm& b, Facts& facts) {
  std::vector<FigureRange> ranges;
  for (const Arm* arm : {&a, &b}) {
    std::vector<double> values;
    for (const RunFigures& run : arm->figures) {
      if (run.peak_goodput.has_value()) {
        values.push_back(*run.peak_goodput);
      }
    }
    ranges.push_back(
        FigureRange::Of(values, static_cast<int>(arm->figures.size())));
    pb::VerdictFact fact = FactOf("peak_goodput", arm->name, ranges.back());
    fact.set_load_unit("calls/s");
    *facts.Add() = std::move(fact);
  }
  return CompareSentence("peak throughput of successful calls", "calls/s", a,
                         ranges[0], b, ranges[1]);
}

std::string CpuSentence(const Arm& a, const Arm& b, const std::string& unit,
                        Facts& facts) {
  const std::optional<double> load = HighestCleanLoad(a, b);
  if (!load.has_value()) {
    return "No load ran clean (valid, no failed call, within the SLO) in "
           "every run of both arms, so CPU per call is not compared.";
  }
  const int runs = static_cast<int>(std::min(a.runs.size(), b.runs.size()));
  const std::string cpu_a = CpuOf(a, *load, unit, facts);
  const std::string cpu_b = CpuOf(b, *load, unit, facts);
  return absl::StrFormat(
      "At %.0f %s, the highest load every run of both arms ran clean, CPU per "
      "successful call was %s; %s (%s).",
      *load, unit, cpu_a, cpu_b,
      runs == 1 ? "a single run" : absl::StrFormat("medians of %d runs", runs));
}

}  // namespace asyncgrpc::loadgen
