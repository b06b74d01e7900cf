#include "loadgen/report/outputs.h"

#include <google/protobuf/map.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "loadgen/report/report_html.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

absl::Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) {
    return absl::PermissionDeniedError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

double Load(const pb::Results& results, const pb::Step& step) {
  return results.config().mode() == "open" ? step.rate() : step.users();
}

std::string ErrorsCell(const pb::Step& step) {
  std::vector<std::string> parts;
  // Sorted for stable output (proto maps have no order).
  std::map<std::string, int64_t> sorted(step.errors().begin(),
                                        step.errors().end());
  for (const auto& [code, count] : sorted) {
    parts.push_back(absl::StrCat(code, "=", count));
  }
  return absl::StrJoin(parts, ";");
}

// A per-call figure of one process ("loadgen", a target's name, "db"), or
// empty when the step has none for it.
std::string PerCallCell(const google::protobuf::Map<std::string, double>& map,
                        const std::string& key, int digits) {
  const auto it = map.find(key);
  return it == map.end() ? "" : absl::StrFormat("%.*f", digits, it->second);
}

// New columns go at the end: scripts read the others by position.
std::string StepsCsv(const pb::Results& results) {
  std::string csv =
      "target,step,load,rps,p50_ms,p90_ms,p95_ms,p99_ms,p999_ms,max_ms,"
      "requests,ok,error_ratio,errors,valid,invalid_reason,loadgen_cpu_cores,"
      "achieved_rate,uncorrected_p99_ms,cpu_per_call_us_loadgen,"
      "cpu_per_call_us_server,cpu_per_call_us_db,"
      "context_switches_per_call_server\n";
  for (const pb::TargetResult& target : results.targets()) {
    for (const pb::Step& s : target.steps()) {
      absl::StrAppendFormat(
          &csv,
          "%s,%d,%g,%.1f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%d,%d,%.5f,%s,%s,\"%s\","
          "%.2f,%.1f,%.3f,%s,%s,%s,%s\n",
          target.name(), s.index(), Load(results, s), s.rps(), s.p50_ms(),
          s.p90_ms(), s.p95_ms(), s.p99_ms(), s.p999_ms(), s.max_ms(),
          s.requests(), s.ok(), s.error_ratio(), ErrorsCell(s),
          s.valid() ? "true" : "false", s.invalid_reason(),
          s.loadgen_cpu_cores(), s.achieved_rate(), s.uncorrected().p99_ms(),
          PerCallCell(s.cpu_per_call_us(), "loadgen", 2),
          PerCallCell(s.cpu_per_call_us(), target.name(), 2),
          PerCallCell(s.cpu_per_call_us(), "db", 2),
          PerCallCell(s.context_switches_per_call(), target.name(), 4));
    }
  }
  return csv;
}

std::string TimelineCsv(const pb::Results& results) {
  std::string csv = "target,t_s,step,rps,failures_per_s,p50_ms,p95_ms,p99_ms\n";
  for (const pb::TargetResult& target : results.targets()) {
    for (const pb::TimelinePoint& p : target.timeline()) {
      absl::StrAppendFormat(&csv, "%s,%g,%d,%g,%g,%.3f,%.3f,%.3f\n",
                            target.name(), p.t_s(), p.step(), p.rps(),
                            p.failures_per_s(), p.p50_ms(), p.p95_ms(),
                            p.p99_ms());
    }
  }
  return csv;
}

// A gauge's value, or empty when the server did not report it.
std::string GaugeCell(const pb::ServerMetrics& m, const std::string& key) {
  const auto it = m.gauges().find(key);
  return it == m.gauges().end() ? "" : absl::StrCat(it->second);
}

// One row per step and --metrics_url; empty when no step has server metrics.
std::string ServerMetricsCsv(const pb::Results& results) {
  std::string csv;
  for (const pb::TargetResult& target : results.targets()) {
    for (const pb::Step& s : target.steps()) {
      for (const pb::ServerMetrics& m : s.server_metrics()) {
        std::vector<std::string> codes;
        const std::map<std::string, double> sorted(m.rpcs_by_code().begin(),
                                                   m.rpcs_by_code().end());
        for (const auto& [code, count] : sorted) {
          codes.push_back(absl::StrCat(code, "=", count));
        }
        const pb::ServerLatency& l = m.latency();
        absl::StrAppendFormat(
            &csv,
            "%s,%d,%g,%s,\"%s\",%.3f,%.1f,%.3f,%.3f,%.3f,%.3f,%s,%s,%s,%s,%s,%"
            "s,%s\n",
            target.name(), s.index(), Load(results, s), m.url(),
            absl::StrReplaceAll(m.error(), {{"\"", "'"}}), m.window_s(),
            m.rps(), l.p50_ms(), l.p95_ms(), l.p99_ms(), l.mean_ms(),
            absl::StrJoin(codes, ";"),
            GaugeCell(m, "asyncgrpc_db_connections{state=\"in_use\"}"),
            GaugeCell(m, "asyncgrpc_db_connections{state=\"idle\"}"),
            GaugeCell(m, "asyncgrpc_db_waiting"),
            GaugeCell(m, "asyncgrpc_db_in_flight"),
            GaugeCell(m, "asyncgrpc_threads"),
            m.has_process_cpu_cores() ? absl::StrCat(m.process_cpu_cores())
                                      : "");
      }
    }
  }
  if (csv.empty()) {
    return csv;
  }
  return absl::StrCat(
      "target,step,load,url,error,window_s,server_rps,server_p50_ms,server_"
      "p95_ms,server_p99_ms,server_mean_ms,server_codes,db_in_use,db_idle,db_"
      "waiting,db_in_flight,threads,process_cpu_cores\n",
      csv);
}

}  // namespace

absl::StatusOr<std::string> ResultsToJson(const pb::Results& results,
                                          bool one_line) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = !one_line;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  if (auto status =
          google::protobuf::util::MessageToJsonString(results, &json, options);
      !status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print results as JSON: ", status.ToString()));
  }
  return json;
}

absl::Status CheckOutputDir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::path existing = fs::absolute(dir, error);
  while (!error && !fs::exists(existing, error) && existing.has_parent_path() &&
         existing != existing.parent_path()) {
    existing = existing.parent_path();
  }
  if (!error && fs::create_directories(dir, error)) {
    // Undo: remove what was just created, innermost first.
    for (fs::path made = fs::absolute(dir); made != existing;
         made = made.parent_path()) {
      fs::remove(made, error);
    }
    return absl::OkStatus();
  }
  if (!error) {
    // It existed: can a file be made in it?
    std::string probe = (fs::path(dir) / ".loadgen-probe-XXXXXX").string();
    const int fd = mkstemp(probe.data());
    if (fd >= 0) {
      close(fd);
      unlink(probe.c_str());
      return absl::OkStatus();
    }
    error = std::error_code(errno, std::generic_category());
  }
  return absl::PermissionDeniedError(
      absl::StrCat("cannot write \"", dir, "\": ", error.message()));
}

absl::Status WriteOutputs(const pb::Results& results, const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create ", dir, ": ", error.message()));
  }
  absl::StatusOr<std::string> json = ResultsToJson(results);
  if (!json.ok()) {
    return json.status();
  }
  absl::StatusOr<std::string> html = RenderReportHtml(results);
  if (!html.ok()) {
    return html.status();
  }
  // A sweep's runs are each value's own; it writes its collection and page.
  const std::string json_name =
      results.has_sweep() ? "sweep.json" : "results.json";
  for (const auto& [name, content] :
       {std::pair<std::string, const std::string&>{json_name, *json},
        {"report.html", *html}}) {
    if (absl::Status status = WriteFile(dir + "/" + name, content);
        !status.ok()) {
      return status;
    }
  }
  if (results.has_sweep()) {
    return absl::OkStatus();
  }
  if (absl::Status status = WriteFile(dir + "/steps.csv", StepsCsv(results));
      !status.ok()) {
    return status;
  }
  if (const std::string csv = ServerMetricsCsv(results); !csv.empty()) {
    if (absl::Status status = WriteFile(dir + "/server_metrics.csv", csv);
        !status.ok()) {
      return status;
    }
  }
  return WriteFile(dir + "/timeline.csv", TimelineCsv(results));
}

namespace {

// A point's cell: the value with its unit, or over --repeat runs its median
// and range and in how many runs it was detected.
std::string PointCell(bool has, double value, const pb::SpreadPoint& spread,
                      int runs, const std::string& unit) {
  if (runs > 1) {
    if (spread.detected() == 0) {
      return absl::StrCat("not reached (0/", runs, ")");
    }
    return absl::StrFormat("%.6g%s [%.6g-%.6g] (%d/%d)", spread.median(), unit,
                           spread.min(), spread.max(), spread.detected(), runs);
  }
  return has ? absl::StrCat(value, unit) : std::string("not reached");
}

// The capacity cell of one run: "2150 calls/s", ">= 3000", "< 500", "?".
std::string CapacityCell(const pb::TargetResult& t, const std::string& unit) {
  const pb::Capacity& c = t.capacity();
  if (c.status() == "at_least_ramp_end") {
    return absl::StrCat(">= ", c.met_at(), unit);
  }
  if (c.status() == "below_ramp_start") {
    return absl::StrCat("< ", c.missed_at(), unit);
  }
  if (c.status() == "within_precision") {
    return absl::StrCat(c.met_at(), unit);
  }
  return "undecided";
}

std::string Aligned(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string table;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&table, i == 0 ? "" : "  ", row[i],
                      std::string(widths[i] - row[i].size(), ' '));
    }
    absl::StrAppend(&table, "\n");
  }
  return table;
}

// Under the table: each target's capacity search, and with --repeat what the
// spreads allow to claim.
std::string FindingsBelow(const pb::Results& results) {
  std::string text;
  for (const pb::TargetResult& t : results.targets()) {
    if (!t.capacity().statement().empty()) {
      absl::StrAppend(&text, t.name(), ": ", t.capacity().statement(),
                      results.config().repeat() > 1 ? " (repeat 1)" : "", "\n");
    }
  }
  for (const pb::PointComparison& c : results.comparisons()) {
    absl::StrAppend(&text, c.text(), "\n");
  }
  return text;
}

}  // namespace

std::string SummaryTable(const pb::Results& results) {
  const bool open = results.config().mode() == "open";
  const bool slo = !results.config().slo().empty();
  const std::string unit = open ? " calls/s" : " users";
  std::vector<std::vector<std::string>> rows = {
      {""},           {"slowdown onset"}, {"error onset"},
      {"saturation"}, {"max throughput"}, {"baseline p95"}};
  if (slo) {
    rows.push_back({absl::StrCat("capacity (", results.config().slo(), ")")});
  }
  rows.push_back({"note"});
  for (const pb::TargetResult& t : results.targets()) {
    const pb::Summary& s = t.summary();
    const pb::Spread& spread = s.spread();
    const int runs = spread.runs();
    rows[0].push_back(t.name());
    rows[1].push_back(PointCell(s.has_slowdown_at(), s.slowdown_at(),
                                spread.slowdown_at(), runs, unit));
    rows[2].push_back(PointCell(s.has_errors_at(), s.errors_at(),
                                spread.errors_at(), runs, unit));
    rows[3].push_back(PointCell(s.has_saturation_at(), s.saturation_at(),
                                spread.saturation_at(), runs, unit));
    rows[4].push_back(runs > 1
                          ? PointCell(true, 0, spread.max_rps(), runs, " req/s")
                          : absl::StrFormat("%.0f req/s", s.max_rps()));
    rows[5].push_back(absl::StrFormat("%.2f ms", s.baseline_p95_ms()));
    if (slo) {
      rows[6].push_back(runs > 1
                            ? PointCell(true, 0, spread.capacity(), runs, unit)
                            : CapacityCell(t, unit));
    }
    rows.back().push_back(t.note().empty() ? "-" : t.note());
  }
  return Aligned(rows) + FindingsBelow(results);
}

}  // namespace asyncgrpc::loadgen
