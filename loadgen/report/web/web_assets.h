// The scripts and styles loadgen's report.html inlines so that it opens
// offline: Chart.js (the UMD bundle pinned in loadgen/report/web/package.json),
// the page's own drawing code (report.js) and its styles (report.css).
// Generated at build time by loadgen/report/web/embed_assets.cmake into
// web_assets.cc.
//
//   absl::string_view chart_js(kChartJs, kChartJsSize);
//   html.append("<script>").append(chart_js).append("</script>");
//
// Each array is NUL-terminated; the sizes exclude the NUL.
#pragma once

#include <cstddef>

namespace asyncgrpc::loadgen {

extern const char kChartJs[];
extern const std::size_t kChartJsSize;

extern const char kReportJs[];
extern const std::size_t kReportJsSize;

extern const char kReportCss[];
extern const std::size_t kReportCssSize;

}  // namespace asyncgrpc::loadgen
