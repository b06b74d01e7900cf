#include "loadgen/verdict/verdict.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "loadgen/core/spread.h"
#include "loadgen/verdict/run_figures.h"
#include "loadgen/verdict/sentences.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

std::string BasisSentence(int runs) {
  if (runs == 1) {
    return "Single run: every figure below is one run's, so no difference is "
           "claimed from it (--repeat 3 or more for that).";
  }
  if (runs < kRunsToCompare) {
    return absl::StrFormat(
        "%d interleaved runs each: figures are medians with their ranges, "
        "but a difference needs %d runs, so none is claimed.",
        runs, kRunsToCompare);
  }
  return absl::StrFormat(
      "%d interleaved runs each: figures are medians with their ranges, and "
      "an arm is said to do better only where the two ranges do not overlap.",
      runs);
}

std::vector<std::string> Rules() {
  return {
      "Capacity: the highest load that met the SLO, from the capacity search "
      "after each ramp; compared only when found in every run of both arms.",
      "Peak throughput: the most successful calls per second of any valid "
      "ramp step (failed calls do not count).",
      absl::StrFormat(
          "A difference is claimed only with at least %d runs each and ranges "
          "(min-max over the runs) that do not overlap; with fewer runs the "
          "figures are given and labelled, and nothing is claimed.",
          kRunsToCompare),
      "How an arm failed: the status code with the most failed calls from "
      "its error onset on, else \"latency\" at its first slowdown or SLO miss; "
      "with the server's gauges and the cores each process kept busy at that "
      "step. The machine's CPU counts as the limit when the measured "
      "processes kept at least 90% of its cores busy; else the database pool "
      "does when calls waited for it.",
      "CPU per call: at the highest ramp load that every run of both arms ran "
      "clean (valid, no failed call, within the SLO); medians over the runs.",
      "A step where loadgen itself was the bottleneck (invalid) supports no "
      "claim.",
  };
}

}  // namespace

pb::Verdict BuildVerdict(const pb::Results& results) {
  pb::Verdict verdict;
  if (results.targets_size() != 2) {
    return verdict;
  }
  const int cpus = results.environment().cpus();
  const Arm a = ArmOf(results.targets(0), cpus);
  const Arm b = ArmOf(results.targets(1), cpus);
  const int runs = static_cast<int>(std::min(a.runs.size(), b.runs.size()));
  const std::string unit =
      results.config().mode() == "open" ? "calls/s" : "users";
  verdict.set_basis(runs == 1 ? "single run"
                              : absl::StrFormat("%d runs each", runs));
  auto* facts = verdict.mutable_facts();
  for (std::string sentence :
       {BasisSentence(runs),
        CapacitySentence(results.config().slo(), unit, a, b, *facts),
        PeakSentence(a, b, *facts), FailureSentence(a, unit, *facts),
        FailureSentence(b, unit, *facts), CpuSentence(a, b, unit, *facts)}) {
    verdict.add_sentences(std::move(sentence));
  }
  verdict.set_text(absl::StrJoin(verdict.sentences(), " "));
  for (std::string& rule : Rules()) {
    verdict.add_rules(std::move(rule));
  }
  return verdict;
}

std::string VerdictText(const pb::Verdict& verdict) {
  if (verdict.sentences().empty()) {
    return "";
  }
  std::string text = absl::StrCat("verdict (", verdict.basis(), "):\n");
  for (const std::string& sentence : verdict.sentences()) {
    absl::StrAppend(&text, "  ", sentence, "\n");
  }
  return text;
}

}  // namespace asyncgrpc::loadgen
