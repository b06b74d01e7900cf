// How an arm failed: the most common way over its runs, where, and what its
// server's own metrics said at that step.
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

// "; its metrics then showed 9 threads, 16 of 16 connections in use and 40
// calls waiting: the database pool was the limit".
std::string ServerView(const Failure& f) {
  if (!f.waiting_for_connection.has_value() && !f.threads.has_value()) {
    return "; no server metrics were scraped (--metrics_url), so which limit "
           "it hit is not known";
  }
  std::string view = "; its metrics then showed";
  if (f.threads.has_value()) {
    absl::StrAppend(&view, absl::StrFormat(" %.0f threads,", *f.threads));
  }
  const bool all_in_use =
      f.connections_in_use.has_value() && f.connections_total.has_value() &&
      *f.connections_total > 0 && *f.connections_in_use >= *f.connections_total;
  const double waiting = f.waiting_for_connection.value_or(0);
  if (f.connections_total.has_value()) {
    absl::StrAppend(&view,
                    absl::StrFormat(" %.0f of %.0f connections in use and",
                                    f.connections_in_use.value_or(0),
                                    *f.connections_total));
  }
  absl::StrAppend(&view, absl::StrFormat(" %.0f calls waiting", waiting));
  absl::StrAppend(
      &view, waiting > 0 || all_in_use
                 ? ": the database pool was the limit"
                 : ": no call waited for the pool, so it was not the limit");
  return view;
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
