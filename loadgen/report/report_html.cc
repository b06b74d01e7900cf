#include "loadgen/report/report_html.h"

#include <google/protobuf/util/json_util.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/base/status_macros.h"
#include "loadgen/report/web/web_assets.h"

namespace asyncgrpc::loadgen {
namespace {

constexpr absl::string_view kResultsJson = "results.json";
constexpr absl::string_view kReportHtml = "report.html";

// Forbids every fetch (scripts and styles are inline), so the page provably
// works offline and cannot phone home.
constexpr absl::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'unsafe-inline'; "
    "style-src 'unsafe-inline'; img-src data:";

absl::Status FromProtobuf(const google::protobuf::util::Status& status,
                          absl::string_view context) {
  if (status.ok()) {
    return absl::OkStatus();
  }
  return absl::Status(static_cast<absl::StatusCode>(status.code()),
                      absl::StrCat(context, ": ", status.message().ToString()));
}

std::string HtmlEscape(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"&", "&amp;"},
                                    {"<", "&lt;"},
                                    {">", "&gt;"},
                                    {"\"", "&quot;"},
                                    {"'", "&#39;"}});
}

// JSON made safe inside a <script> element: "</" cannot end the element
// ("<\/" is the same JSON string) and "<!--" cannot switch the HTML tokenizer
// into its script-escape states.
std::string EscapeJsonForScript(absl::string_view json) {
  return absl::StrReplaceAll(json, {{"</", "<\\/"}, {"<!--", "\\u003c!--"}});
}

// The inlined code is ours or a pinned library, so it is checked rather than
// rewritten: rewriting JavaScript is not safe in general.
absl::Status CheckInlinable(absl::string_view name, absl::string_view text,
                            absl::string_view end_tag) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (absl::StrContains(lower, end_tag) || absl::StrContains(lower, "<!--")) {
    return absl::InternalError(absl::StrCat(
        name, " contains \"", end_tag, "\" or \"<!--\" and cannot be inlined"));
  }
  return absl::OkStatus();
}

// Drops "//# sourceMappingURL=..." lines: the map is not shipped, and the page
// should name no other file.
std::string StripSourceMaps(absl::string_view js) {
  std::string out;
  out.reserve(js.size());
  for (absl::string_view line : absl::StrSplit(js, '\n')) {
    if (absl::StartsWith(line, "//# sourceMappingURL=")) {
      continue;
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string PageTitle(const ::loadgen::v1::Results& results) {
  if (results.has_sweep()) {
    const auto& sweep = results.sweep();
    return absl::StrCat(
        "loadgen sweep: ", sweep.name(),
        sweep.baseline().empty()
            ? ""
            : absl::StrCat(", ", sweep.baseline(), " vs ", sweep.challenger()));
  }
  std::vector<std::string> names;
  for (const auto& target : results.targets()) {
    names.push_back(target.name());
  }
  if (names.empty()) {
    for (const auto& target : results.config().targets()) {
      names.push_back(target.name());
    }
  }
  if (names.empty()) {
    return "loadgen report";
  }
  return absl::StrCat("loadgen report: ", absl::StrJoin(names, " vs "));
}

absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return absl::NotFoundError(
        absl::StrCat(path.string(), ": no such file (expected loadgen's ",
                     kResultsJson, ")"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::PermissionDeniedError(
        absl::StrCat(path.string(), ": cannot open: ", std::strerror(errno)));
  }
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat(path.string(), ": read failed"));
  }
  return text;
}

absl::Status WriteFileAtomically(const std::filesystem::path& path,
                                 absl::string_view text) {
  std::filesystem::path temp = path;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) {
      return absl::PermissionDeniedError(absl::StrCat(
          temp.string(), ": cannot create: ", std::strerror(errno)));
    }
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) {
      return absl::DataLossError(absl::StrCat(temp.string(), ": write failed"));
    }
  }
  std::error_code error;
  std::filesystem::rename(temp, path, error);
  if (error) {
    std::filesystem::remove(temp, error);
    return absl::InternalError(absl::StrCat("cannot rename ", temp.string(),
                                            " to ", path.string(), ": ",
                                            error.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> RenderReportHtml(
    const ::loadgen::v1::Results& results) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  RETURN_IF_ERROR(FromProtobuf(
      google::protobuf::util::MessageToJsonString(results, &json, options),
      "encoding the results as JSON"));

  const std::string chart_js =
      StripSourceMaps(absl::string_view(kChartJs, kChartJsSize));
  const absl::string_view report_js(kReportJs, kReportJsSize);
  const absl::string_view report_css(kReportCss, kReportCssSize);
  const std::tuple<absl::string_view, absl::string_view, absl::string_view>
      inlined[] = {{"chart.umd.js", chart_js, "</script"},
                   {"report.js", report_js, "</script"},
                   {"report.css", report_css, "</style"}};
  for (const auto& [name, text, end_tag] : inlined) {
    RETURN_IF_ERROR(CheckInlinable(name, text, end_tag));
  }

  std::string html;
  html.reserve(chart_js.size() + report_js.size() + report_css.size() +
               json.size() + 4096);
  absl::StrAppend(
      &html,
      "<!DOCTYPE html>\n"
      "<html lang=\"en\">\n"
      "<head>\n"
      "<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"",
      kContentSecurityPolicy,
      "\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"loadgen\">\n"
      "<title>",
      HtmlEscape(PageTitle(results)),
      "</title>\n"
      "<style>\n",
      report_css,
      "</style>\n"
      "</head>\n"
      "<body>\n"
      "<noscript><p class=\"fatal\">This report draws its tables and charts "
      "with JavaScript, which is disabled. The data is in results.json beside "
      "this file.</p></noscript>\n"
      "<div id=\"report\"></div>\n"
      "<script type=\"application/json\" id=\"results\">",
      EscapeJsonForScript(json),
      "</script>\n"
      "<script>\n",
      chart_js,
      "</script>\n"
      "<script>\n",
      report_js,
      "</script>\n"
      "</body>\n"
      "</html>\n");
  return html;
}

absl::Status RerenderReport(const std::string& dir) {
  const std::filesystem::path results_path =
      std::filesystem::path(dir) / std::string(kResultsJson);
  ASSIGN_OR_RETURN(const std::string json, ReadFile(results_path));
  ::loadgen::v1::Results results;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  google::protobuf::util::Status parsed =
      google::protobuf::util::JsonStringToMessage(json, &results, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        results_path.string(),
        ": not the JSON of loadgen.v1.Results: ", parsed.message().ToString()));
  }
  ASSIGN_OR_RETURN(const std::string html, RenderReportHtml(results));
  return WriteFileAtomically(
      std::filesystem::path(dir) / std::string(kReportHtml), html);
}

}  // namespace asyncgrpc::loadgen
