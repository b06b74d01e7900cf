// Renders loadgen's results as report.html: one self-contained page that opens
// offline — Chart.js, the page's own script (web/report.js) and styles
// (web/report.css) are inlined, and the Results are embedded as JSON (<script
// type="application/json" id="results">), from which the page draws its tables
// and charts. Nothing is fetched: no network, no files beside the page.
//
//   absl::StatusOr<std::string> html = RenderReportHtml(results);
//   if (!html.ok()) return html.status();
//
//   // Redraw a finished run's page (e.g. after changing report.js): reads
//   // DIR/results.json and writes DIR/report.html.
//   RETURN_IF_ERROR(RerenderReport("results/loadgen-20261125T101500Z"));
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

// The report as one self-contained HTML document.
absl::StatusOr<std::string> RenderReportHtml(
    const ::loadgen::v1::Results& results);

// Reads DIR/results.json (the JSON of a Results) and writes DIR/report.html.
// NOT_FOUND when results.json is missing, INVALID_ARGUMENT when it is not the
// JSON of a Results; the message names the file.
absl::Status RerenderReport(const std::string& dir);

}  // namespace asyncgrpc::loadgen
