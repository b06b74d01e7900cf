#include "loadgen/sweep/sweep_verdict.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "loadgen/verdict/run_figures.h"
#include "loadgen/verdict/sentences.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

std::string BasisSentence(const pb::Sweep& sweep, int runs) {
  std::vector<std::string> values;
  for (const pb::SweepPoint& point : sweep.points()) {
    values.push_back(point.value());
  }
  return absl::StrFormat(
      "Sweep of %s over %s: each value a run of both arms of its own, %s, "
      "capacity searched under the SLO %s.",
      sweep.name(), absl::StrJoin(values, ", "),
      runs == 1 ? "a single run each"
                : absl::StrFormat("%d interleaved runs each", runs),
      sweep.slo());
}

// "async's capacity over sync's by upstream_delay: 0ms 0.85x, 20ms 1.31x
// (pays), 50ms not judged."
std::string RatioSentence(const pb::Sweep& sweep) {
  std::vector<std::string> parts;
  for (const pb::SweepPoint& point : sweep.points()) {
    parts.push_back(point.has_capacity_ratio()
                        ? absl::StrFormat("%s %.2fx%s", point.value(),
                                          point.capacity_ratio(),
                                          point.pays() ? " (pays)" : "")
                        : absl::StrCat(point.value(), " not judged"));
  }
  return absl::StrFormat("%s's median capacity over %s's by %s: %s.",
                         sweep.challenger(), sweep.baseline(), sweep.name(),
                         absl::StrJoin(parts, ", "));
}

}  // namespace

pb::Verdict SweepVerdict(const pb::Sweep& sweep, const pb::Results& highest,
                         int runs) {
  pb::Verdict verdict;
  verdict.set_basis(runs == 1
                        ? "single run per value"
                        : absl::StrFormat("%d runs each per value", runs));
  verdict.add_sentences(BasisSentence(sweep, runs));
  verdict.add_sentences(sweep.crossover().statement());
  verdict.add_sentences(RatioSentence(sweep));
  const int cpus = highest.environment().cpus();
  Facts failure_facts;
  for (const pb::TargetResult& target : highest.targets()) {
    verdict.add_sentences(absl::StrCat(
        "At ", sweep.name(), " = ", sweep.points().rbegin()->value(), ": ",
        FailureSentence(ArmOf(target, cpus), sweep.load_unit(),
                        failure_facts)));
  }
  verdict.set_text(absl::StrJoin(verdict.sentences(), " "));
  for (const pb::SweepPoint& point : sweep.points()) {
    for (const pb::VerdictFact& fact : point.facts()) {
      if (fact.name() == "capacity") {
        pb::VerdictFact& copy = *verdict.add_facts();
        copy = fact;
        copy.set_detail(absl::StrCat(sweep.name(), "=", point.value()));
      }
    }
  }
  for (const std::string& rule : sweep.crossover().rules()) {
    verdict.add_rules(rule);
  }
  return verdict;
}

}  // namespace asyncgrpc::loadgen
