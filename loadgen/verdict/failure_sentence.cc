// How an arm failed: the most common way over its runs, where, and what its
// server's own metrics said at that step.
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "loadgen/verdict/figure_range.h"
#include "loadgen/verdict/sentences.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

// The kind of failure most runs had (the earliest run's on a tie).
std::string CommonKind(const Arm& arm) {
  std::map<std::string, int> count;
  for (const RunFigures& run : arm.figures) {
    ++count[run.failure.kind];
  }
  std::string common = arm.figures.front().failure.kind;
  for (const RunFigures& run : arm.figures) {
    if (count[run.failure.kind] > count[common]) {
      common = run.failure.kind;
    }
  }
  return common;
}

// "server 0.8, PostgreSQL 0.9, loadgen 0.2"; their sum in `total`.
std::string CoresOf(const Failure& f, double& total) {
  std::vector<std::string> parts;
  total = 0;
  for (const auto& [process, cores] : f.cores_by_process) {
    parts.push_back(absl::StrFormat("%s %.1f", process, cores));
    total += cores;
  }
  return absl::StrJoin(parts, ", ");
}

// What the server's gauges and the machine's CPU showed at the onset step,
// and the limit they point to: "; at its onset: 40 threads, 16 of 16 open connections
// busy, 12 calls waiting for the database pool: the database pool was the
// limit".
std::string ServerView(const Failure& f) {
  std::vector<std::string> seen;
  if (f.threads.has_value()) {
    seen.push_back(absl::StrFormat("%.0f threads", *f.threads));
  }
  if (f.connections_total.has_value()) {
    seen.push_back(absl::StrFormat("%.0f of %.0f open connections busy",
                                   f.connections_in_use.value_or(0),
                                   *f.connections_total));
  }
  const double waiting = f.waiting_for_connection.value_or(0);
  if (f.waiting_for_connection.has_value()) {
    seen.push_back(
        absl::StrFormat("%.0f calls waiting for the database pool", waiting));
  }
  double cores = 0;
  if (const std::string by_process = CoresOf(f, cores); !by_process.empty()) {
    seen.push_back(absl::StrFormat("%.1f of %d cores busy (%s)", cores,
                                   f.machine_cpus, by_process));
  }
  if (seen.empty()) {
    return "; neither its server's metrics (--metrics_url) nor CPU "
           "(--cpu_pid) were recorded, so which limit it hit is not known";
  }
  const bool cpu_bound = f.machine_cpus > 0 && cores >= 0.9 * f.machine_cpus;
  std::string limit = "neither the pool nor the CPU was saturated";
  if (cpu_bound) {
    limit = waiting > 0 ? "the machine's CPU was the limit, with calls "
                          "queued for the database pool behind it"
                        : "the machine's CPU was the limit";
  } else if (waiting > 0) {
    limit = "the database pool was the limit";
  } else if (!f.waiting_for_connection.has_value()) {
    limit = "the CPU was not saturated";
  }
  return absl::StrCat("; at its onset: ", absl::StrJoin(seen, ", "), ": ",
                      limit);
}

// Whether the server itself answered the failed calls, or they never reached
// it (refused by gRPC, as a sync server's thread cap does).
std::string WhoAnswered(const Failure& f) {
  if (!f.server_counted_of_kind.has_value() || f.failed_of_kind == 0) {
    return "";
  }
  const double share = *f.server_counted_of_kind / f.failed_of_kind;
  if (share >= 0.9) {
    return absl::StrFormat("; the service itself answered them with %s",
                           f.kind);
  }
  return absl::StrFormat(
      "; the service counted only %.0f of them: the rest were refused before "
      "they reached it",
      *f.server_counted_of_kind);
}

}  // namespace

std::string FailureSentence(const Arm& arm, const std::string& unit,
                            Facts& facts) {
  const std::string kind = CommonKind(arm);
  const int runs = static_cast<int>(arm.figures.size());
  const Failure* quoted = nullptr;
  std::vector<double> loads;
  for (const RunFigures& run : arm.figures) {
    if (run.failure.kind == kind && run.failure.load.has_value()) {
      loads.push_back(*run.failure.load);
      quoted = quoted != nullptr ? quoted : &run.failure;
    }
  }
  if (kind.empty() || quoted == nullptr) {
    return absl::StrFormat("%s did not fail within the ramp%s.", arm.name,
                           runs == 1 ? "" : " in most runs");
  }
  const FigureRange where = FigureRange::Of(loads, runs);
  pb::VerdictFact fact = FactOf("failure", arm.name, where);
  fact.set_detail(kind);
  fact.set_load(where.median);
  fact.set_load_unit(unit);
  *facts.Add() = std::move(fact);
  if (quoted->onset_invalid) {
    return absl::StrFormat(
        "%s's first failure fell in a step where loadgen itself was the "
        "bottleneck, so how it failed is not claimed.",
        arm.name);
  }
  std::string sentence =
      kind == "latency"
          ? absl::StrFormat(
                "%s failed by latency alone, without errors, from "
                "%s %s",
                arm.name, Describe(where), unit)
          : absl::StrFormat(
                "%s failed with %s from %s %s (%d of %d failed "
                "calls)",
                arm.name, kind, Describe(where), unit, quoted->failed_of_kind,
                quoted->failed);
  if (runs > 1) {
    absl::StrAppend(&sentence,
                    absl::StrFormat(" in %d of %d runs", where.found, runs));
  }
  return absl::StrCat(sentence, ServerView(*quoted), WhoAnswered(*quoted), ".");
}

}  // namespace asyncgrpc::loadgen
