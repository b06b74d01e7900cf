#include "loadgen/report/report_html.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <stdlib.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loadgen/report/web/web_assets.h"
#include "loadgen/results.pb.h"
#include "tests/support/postgres_cluster.h"

namespace asyncgrpc::loadgen {
namespace {

using ::loadgen::v1::Results;
using ::loadgen::v1::Step;
using ::loadgen::v1::TargetResult;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::string_view kJsonOpen =
    "<script type=\"application/json\" id=\"results\">";

// Two targets ramped 10..100 users; "sync" slows down at 60 and fails from 80,
// "async" slows down at 90 and never fails. One invalid step.
Results SyntheticResults() {
  Results results;
  auto* config = results.mutable_config();
  config->set_mode("closed");
  config->set_ramp_start(10);
  config->set_ramp_end(100);
  config->set_ramp_step(10);
  config->set_step_duration_s(30);
  config->set_warmup_s(5);
  config->set_scenario("get-item");
  config->set_think_time_s(0.1);
  config->set_deadline_s(1);
  config->set_seed(18446744073709551615ULL);  // Needs a JSON string.
  config->set_command("loadgen --targets=sync=localhost:1,async=localhost:2");
  for (const char* name : {"sync", "async"}) {
    auto* spec = config->add_targets();
    spec->set_name(name);
    spec->set_address(absl::StrCat("localhost:", name[0] == 's' ? 1 : 2));
  }
  auto* env = results.mutable_environment();
  env->set_hostname("bench-1");
  env->set_cpus(2);
  env->set_kernel("6.1.0");
  env->set_started_at("2026-11-25T10:00:00Z");
  results.add_rules("slowdown: p95 > 2x baseline p95");
  results.add_rules("errors: error ratio > 1%");

  for (int t = 0; t < 2; ++t) {
    TargetResult* target = results.add_targets();
    target->set_name(t == 0 ? "sync" : "async");
    target->set_address(t == 0 ? "localhost:1" : "localhost:2");
    const int knee = t == 0 ? 6 : 9;
    for (int i = 0; i < 10; ++i) {
      Step* step = target->add_steps();
      step->set_index(i + 1);
      step->set_users(10 * (i + 1));
      step->set_start_s(30.0 * i);
      step->set_duration_s(30);
      const double base_ms = t == 0 ? 4 : 3;
      const double p95 =
          i + 1 < knee ? base_ms * 1.5 : base_ms * (i + 3 - knee);
      step->set_rps(i + 1 < knee ? 250.0 * (i + 1) : 250.0 * knee);
      step->set_requests(static_cast<int64_t>(step->rps() * 25));
      step->set_p50_ms(base_ms);
      step->set_p95_ms(p95);
      step->set_p99_ms(p95 * 1.5);
      step->set_p999_ms(p95 * 2);
      step->set_max_ms(p95 * 3);
      int64_t failed = 0;
      if (t == 0 && i + 1 >= 8) {
        failed = 100 * (i - 6);
        (*step->mutable_errors())["DEADLINE_EXCEEDED"] = failed;
      }
      step->set_ok(step->requests() - failed);
      step->set_error_ratio(static_cast<double>(failed) /
                            static_cast<double>(step->requests()));
      step->set_loadgen_cpu_cores(0.1 * (i + 1));
      step->set_valid(!(t == 1 && i == 9));
      if (!step->valid()) {
        step->set_invalid_reason("loadgen CPU at 1.9 of 2 cores");
      }
      for (int k = 0; k < 3; ++k) {
        auto* point = target->add_timeline();
        point->set_t_s(30.0 * i + 10 * k);
        point->set_step(i + 1);
        point->set_rps(step->rps());
        point->set_p50_ms(step->p50_ms());
        point->set_p95_ms(step->p95_ms());
        point->set_p99_ms(step->p99_ms());
      }
    }
    auto* summary = target->mutable_summary();
    summary->set_slowdown_at(10.0 * knee);
    summary->set_slowdown_step(knee);
    summary->set_max_rps(250.0 * knee);
    summary->set_baseline_p95_ms(t == 0 ? 6 : 4.5);
    if (t == 0) {
      summary->set_errors_at(80);
      summary->set_errors_step(8);
      summary->set_saturation_at(60);
      summary->set_saturation_step(6);
    }
  }
  return results;
}

// SyntheticResults with a description and the verdict loadgen writes for two
// targets over three runs each.
Results ResultsWithVerdict() {
  Results results = SyntheticResults();
  results.mutable_config()->set_description(
      "preset pooled: both services keep persistent pools of 16 connections "
      "each");
  ::loadgen::v1::Verdict* verdict = results.mutable_verdict();
  verdict->set_basis("3 runs each");
  verdict->add_sentences(
      "async sustained more: 90 users against sync's 60 (3 runs each).");
  verdict->add_sentences("sync failed by DEADLINE_EXCEEDED from 80 users.");
  verdict->add_sentences("async failed by latency, without errors.");
  verdict->set_text(absl::StrJoin(verdict->sentences(), " "));
  const struct {
    const char* name;
    const char* target;
    const char* detail;
    double median, min, max;
    std::optional<double> load;
  } facts[] = {
      {"capacity", "sync", "", 60, 50, 60, std::nullopt},
      {"capacity", "async", "", 90, 90, 100, std::nullopt},
      {"failure", "sync", "DEADLINE_EXCEEDED", 80, 80, 90, 80},
      {"cpu_per_call_us", "async", "async", 41.5, 40.25, 43, 50},
  };
  for (const auto& f : facts) {
    ::loadgen::v1::VerdictFact* fact = verdict->add_facts();
    fact->set_name(f.name);
    fact->set_target(f.target);
    fact->set_detail(f.detail);
    fact->set_median(f.median);
    fact->set_min(f.min);
    fact->set_max(f.max);
    fact->set_runs(3);
    if (f.load.has_value()) {
      fact->set_load(*f.load);
    }
    fact->set_load_unit("users");
  }
  verdict->add_rules("A claim rests only on valid steps.");
  verdict->add_rules("With ranges that overlap, no claim is made.");
  return results;
}

// What `loadgen sweep` writes: no targets of its own, the sweep's verdict, and
// upstream_delay over 0ms and 50ms for sync (baseline) and async
// (challenger), async paying from 50ms.
Results ResultsWithSweep() {
  Results results;
  results.mutable_config()->set_mode("open");
  results.mutable_config()->set_description("sweep of upstream_delay");
  ::loadgen::v1::Verdict* verdict = results.mutable_verdict();
  verdict->set_basis("3 runs each");
  verdict->add_sentences("async pays from upstream_delay 50ms on.");
  verdict->set_text(verdict->sentences(0));
  ::loadgen::v1::Sweep* sweep = results.mutable_sweep();
  sweep->set_name("upstream_delay");
  sweep->set_unit("ms");
  sweep->set_baseline("sync");
  sweep->set_challenger("async");
  sweep->set_slo("p99<=100ms,errors<=1%");
  sweep->set_load_unit("calls/s");
  for (const int delay_ms : {0, 50}) {
    ::loadgen::v1::SweepPoint* point = sweep->add_points();
    point->set_value(absl::StrCat(delay_ms, "ms"));
    point->set_value_number(delay_ms);
    point->set_directory(absl::StrCat("upstream_delay=", delay_ms, "ms"));
    const struct {
      const char* name;
      const char* target;
      const char* detail;
      double median;
    } facts[] = {
        {"capacity", "sync", "", delay_ms == 0 ? 750.0 : 300.0},
        {"capacity", "async", "", delay_ms == 0 ? 620.0 : 405.0},
        {"errors_at", "sync", "", 900},
        {"rss_mb", "async", "", 41.5},
        {"cpu_per_call_us", "sync", "sync", 120},
        {"cpu_per_call_us", "sync", "db", 210},
        {"cpu_per_call_us", "sync", "loadgen", 35},
    };
    for (const auto& f : facts) {
      ::loadgen::v1::VerdictFact* fact = point->add_facts();
      fact->set_name(f.name);
      fact->set_target(f.target);
      fact->set_detail(f.detail);
      fact->set_median(f.median);
      fact->set_min(f.median * 0.9);
      fact->set_max(f.median);
      fact->set_runs(3);
      if (absl::string_view(f.name) == "cpu_per_call_us") {
        fact->set_load(300);
      }
      fact->set_load_unit("calls/s");
    }
    point->set_pays(delay_ms == 50);
    point->set_judgement(delay_ms == 50 ? "async pays: 1.35x of sync"
                                        : "async sustained less");
    if (delay_ms == 50) {
      point->set_capacity_ratio(1.35);
    }
    point->add_capacity_status("within_precision");
  }
  ::loadgen::v1::Crossover* crossover = sweep->mutable_crossover();
  crossover->set_found(true);
  crossover->set_from_value("50ms");
  crossover->set_statement("async pays from upstream_delay 50ms on.");
  crossover->add_rules(
      "The challenger pays where its capacity range lies "
      "above the baseline's.");
  return results;
}

// The embedded Results JSON, unescaped.
std::string EmbeddedJson(const std::string& html) {
  const std::size_t begin = absl::string_view(html).find(kJsonOpen);
  EXPECT_NE(begin, std::string::npos);
  if (begin == std::string::npos) {
    return "";
  }
  const std::size_t start = begin + kJsonOpen.size();
  const std::size_t end = html.find("</script>", start);
  EXPECT_NE(end, std::string::npos);
  return absl::StrReplaceAll(html.substr(start, end - start), {{"<\\/", "</"}});
}

Results ParseResults(const std::string& json) {
  Results results;
  const auto status = google::protobuf::util::JsonStringToMessage(
      json, &results, google::protobuf::util::JsonParseOptions());
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return results;
}

// The HTML with the inlined Chart.js removed (its licence comment names URLs).
std::string WithoutChartJs(const std::string& html) {
  const absl::string_view chart_js(kChartJs, kChartJsSize);
  const absl::string_view head = chart_js.substr(0, 200);
  const std::size_t begin = absl::string_view(html).find(head);
  EXPECT_NE(begin, std::string::npos);
  if (begin == std::string::npos) {
    return html;
  }
  const std::size_t end = html.find("</script>", begin);
  EXPECT_NE(end, std::string::npos);
  return html.substr(0, begin) + html.substr(end);
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

void WriteAll(const std::filesystem::path& path, absl::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

// A fresh directory under /tmp, removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    absl::StatusOr<asyncgrpc::testing::TempDir> dir =
        asyncgrpc::testing::TempDir::Create("report_html_test-");
    EXPECT_TRUE(dir.ok()) << dir.status();
    dir_.emplace(*std::move(dir));
  }
  std::filesystem::path path() const { return dir_->path(); }

 private:
  std::optional<asyncgrpc::testing::TempDir> dir_;
};

TEST(RenderReportHtmlTest, InlinesChartJsAndThePageScriptAndStyles) {
  absl::StatusOr<std::string> html = RenderReportHtml(SyntheticResults());
  ASSERT_TRUE(html.ok()) << html.status();
  EXPECT_THAT(*html, HasSubstr("<!DOCTYPE html>"));
  EXPECT_THAT(*html, HasSubstr("Chart.js v4."));
  EXPECT_THAT(
      *html,
      HasSubstr(absl::string_view(kChartJs, kChartJsSize).substr(0, 4096)));
  EXPECT_THAT(*html, HasSubstr(absl::string_view(kReportJs, kReportJsSize)));
  EXPECT_THAT(*html, HasSubstr(absl::string_view(kReportCss, kReportCssSize)));
  EXPECT_THAT(*html, HasSubstr("<div id=\"report\"></div>"));
  EXPECT_THAT(*html, HasSubstr("<title>loadgen report: sync vs async</title>"));
  // The inlined library's source map is not shipped, so it is not named.
  EXPECT_THAT(*html, Not(HasSubstr("sourceMappingURL")));
}

TEST(RenderReportHtmlTest, EmbeddedJsonParsesBackToTheSameResults) {
  const Results results = SyntheticResults();
  absl::StatusOr<std::string> html = RenderReportHtml(results);
  ASSERT_TRUE(html.ok()) << html.status();
  const std::string json = EmbeddedJson(*html);
  // Printed with proto field names and every primitive field.
  EXPECT_THAT(json, HasSubstr("\"slowdown_step\":6"));
  EXPECT_THAT(json, HasSubstr("\"loadgen_version\":\"\""));
  const Results parsed = ParseResults(json);
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(results, parsed)) << diff;
}

TEST(RenderReportHtmlTest, EmbedsServerMetricsAndShardsOfAMergedRun) {
  Results results = SyntheticResults();
  results.mutable_config()->set_merged(true);
  results.mutable_config()->set_shard_count(3);
  results.mutable_config()->set_start_at("2026-11-25T14:00:00Z");
  ::loadgen::v1::MetricsUrl* url = results.mutable_config()->add_metrics_urls();
  url->set_target("sync");
  url->set_url("http://10.0.0.5:9090/metrics");
  for (int i = 0; i < 3; ++i) {
    ::loadgen::v1::Shard* shard = results.add_shards();
    shard->set_shard_index(i);
    shard->set_source(absl::StrCat("pods.log:", 10 * i + 1));
    shard->mutable_environment()->set_hostname(absl::StrCat("loadgen-", i));
  }
  ::loadgen::v1::ServerMetrics* m =
      results.mutable_targets(0)->mutable_steps(0)->add_server_metrics();
  m->set_url("http://10.0.0.5:9090/metrics");
  m->set_service("sync");
  (*m->mutable_rpcs_by_code())["OK"] = 2500;
  m->mutable_latency()->set_p99_ms(4.5);
  (*m->mutable_gauges())["asyncgrpc_db_connections{state=\"in_use\"}"] = 16;
  m->set_process_cpu_cores(0.75);
  results.mutable_targets(0)->mutable_steps(1)->add_server_metrics()->set_error(
      "scrape at 14:00:31.000 (window end) failed: timed out </script>");
  absl::StatusOr<std::string> html = RenderReportHtml(results);
  ASSERT_TRUE(html.ok()) << html.status();
  const std::string json = EmbeddedJson(*html);
  EXPECT_THAT(json, HasSubstr("\"server_metrics\":[{"));
  EXPECT_THAT(json, HasSubstr("\"merged\":true"));
  // The page's script draws them.
  EXPECT_THAT(*html, HasSubstr("function serverSection(model)"));
  EXPECT_THAT(*html, HasSubstr("function distributedText(c)"));
  const Results parsed = ParseResults(json);
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(results, parsed)) << diff;
}

TEST(RenderReportHtmlTest, EmbedsCpuPerCallForTheCpuChartOnlyWhenMeasured) {
  // Without CPU figures: no step carries any, so the page draws no "CPU per
  // call vs load" chart and no server CPU/call column (report.js: cpuCharts
  // skips a target none of whose steps has cpu_per_call_us).
  absl::StatusOr<std::string> without = RenderReportHtml(SyntheticResults());
  ASSERT_TRUE(without.ok()) << without.status();
  const std::string without_json = EmbeddedJson(*without);
  EXPECT_THAT(without_json, Not(HasSubstr("\"cpu_per_call_us\":{\"")));
  EXPECT_THAT(without_json,
              Not(HasSubstr("\"context_switches_per_call\":{\"")));
  EXPECT_THAT(without_json, Not(HasSubstr("\"processes\":{\"")));

  // With them for "sync" (loadgen, its server, PostgreSQL), not for "async".
  Results results = SyntheticResults();
  for (Step& step : *results.mutable_targets(0)->mutable_steps()) {
    const double users = step.users();
    (*step.mutable_cpu_per_call_us())["loadgen"] = 10 + users / 10;
    (*step.mutable_cpu_per_call_us())["sync"] = 40 + users;
    (*step.mutable_cpu_per_call_us())["db"] = 90;
    (*step.mutable_context_switches_per_call())["sync"] = 0.5;
    ::loadgen::v1::ProcessUse& server = (*step.mutable_processes())["sync"];
    server.set_cpu_s(1.5);
    server.set_context_switches(1200);
    server.set_source("proc");
    server.set_pid(4242);
  }
  absl::StatusOr<std::string> with = RenderReportHtml(results);
  ASSERT_TRUE(with.ok()) << with.status();
  const std::string json = EmbeddedJson(*with);
  EXPECT_THAT(json, HasSubstr("\"cpu_per_call_us\":{\""));
  EXPECT_THAT(json, HasSubstr("\"db\":90"));
  EXPECT_THAT(json, HasSubstr("\"context_switches_per_call\":{\"sync\":0.5}"));
  EXPECT_THAT(json, HasSubstr("\"source\":\"proc\""));
  // The page's script draws the chart from them, per target.
  EXPECT_THAT(*with, HasSubstr("function cpuCharts(model)"));
  EXPECT_THAT(*with, HasSubstr("'CPU per call vs load: ' + t.name"));
  const Results parsed = ParseResults(json);
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(results, parsed)) << diff;
  EXPECT_EQ(parsed.targets(0).steps(2).cpu_per_call_us().at("sync"), 70);
  EXPECT_TRUE(parsed.targets(1).steps(0).cpu_per_call_us().empty());
}

TEST(RenderReportHtmlTest, ReferencesNoUrl) {
  absl::StatusOr<std::string> html = RenderReportHtml(SyntheticResults());
  ASSERT_TRUE(html.ok()) << html.status();
  for (absl::string_view attribute : {"src=", "href=", "url("}) {
    EXPECT_THAT(*html, Not(HasSubstr(absl::StrCat(attribute, "\"http"))));
    EXPECT_THAT(*html, Not(HasSubstr(absl::StrCat(attribute, "'http"))));
    EXPECT_THAT(*html, Not(HasSubstr(absl::StrCat(attribute, "http"))));
  }
  const std::string ours = WithoutChartJs(*html);
  EXPECT_THAT(ours, Not(HasSubstr("http://")));
  EXPECT_THAT(ours, Not(HasSubstr("https://")));
  EXPECT_THAT(ours, Not(HasSubstr("//fonts")));
  EXPECT_THAT(ours, Not(HasSubstr("<link")));
  EXPECT_THAT(ours, Not(HasSubstr("@import")));
  // The page forbids fetching anything at all.
  EXPECT_THAT(*html,
              HasSubstr("Content-Security-Policy\" content=\"default-src "
                        "'none';"));
}

TEST(RenderReportHtmlTest, EscapesMarkupInTheData) {
  Results results = SyntheticResults();
  const std::string evil = "x</script><script>alert(1)</script><!--<script>";
  results.mutable_targets(0)->set_name(evil);
  results.mutable_targets(1)->set_note("</SCRIPT> & <b>");
  absl::StatusOr<std::string> html = RenderReportHtml(results);
  ASSERT_TRUE(html.ok()) << html.status();
  EXPECT_THAT(*html, Not(HasSubstr("alert(1)</script>")));
  EXPECT_THAT(*html, Not(HasSubstr("<!--<script>")));
  // The title is HTML-escaped.
  EXPECT_THAT(*html, HasSubstr("<title>loadgen report: x&lt;/script&gt;"));
  // Exactly three script elements: the data, Chart.js and the page script.
  std::size_t closes = 0;
  for (std::size_t at = html->find("</script>"); at != std::string::npos;
       at = html->find("</script>", at + 1)) {
    ++closes;
  }
  EXPECT_EQ(closes, 3u);
  const Results parsed = ParseResults(EmbeddedJson(*html));
  ASSERT_EQ(parsed.targets_size(), 2);
  EXPECT_EQ(parsed.targets(0).name(), evil);
  EXPECT_EQ(parsed.targets(1).note(), "</SCRIPT> & <b>");
}

// This test has no DOM to run report.js in; it checks that the page carries the
// verdict and that the page's script draws its section first.
TEST(RenderReportHtmlTest, EmbedsTheVerdictForTheFirstSection) {
  const Results results = ResultsWithVerdict();
  absl::StatusOr<std::string> html = RenderReportHtml(results);
  ASSERT_TRUE(html.ok()) << html.status();
  const std::string json = EmbeddedJson(*html);
  EXPECT_THAT(json,
              HasSubstr("\"description\":\"preset pooled: both services"));
  EXPECT_THAT(json, HasSubstr("\"verdict\":{\"basis\":\"3 runs each\""));
  EXPECT_THAT(json, HasSubstr("\"sentences\":[\"async sustained more"));
  EXPECT_THAT(json, HasSubstr("\"detail\":\"DEADLINE_EXCEEDED\""));
  EXPECT_THAT(json, HasSubstr("\"load_unit\":\"users\""));
  EXPECT_THAT(json, HasSubstr("\"load\":80"));
  const Results parsed = ParseResults(json);
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(results, parsed)) << diff;
  // An unset optional load stays absent, so the page shows no load for it.
  EXPECT_FALSE(parsed.verdict().facts(0).has_load());

  // The page's script draws a section id="verdict" right after the title,
  // before every other section.
  const absl::string_view script(kReportJs, kReportJsSize);
  EXPECT_THAT(script, HasSubstr("function verdictSection(model)"));
  EXPECT_THAT(script, HasSubstr("el('section', {id: 'verdict'}"));
  EXPECT_THAT(script, HasSubstr("[header(model), verdictSection(model), "
                                "sweep.nodes, configSection(model),"));
}

TEST(RenderReportHtmlTest, WithoutAVerdictThePageSaysWhy) {
  // One target: loadgen writes no verdict, and the JSON printer leaves the
  // unset message out, which report.js reads as "no verdict".
  Results results = SyntheticResults();
  results.mutable_targets()->RemoveLast();
  results.mutable_config()->set_description("one target only");
  absl::StatusOr<std::string> html = RenderReportHtml(results);
  ASSERT_TRUE(html.ok()) << html.status();
  const std::string json = EmbeddedJson(*html);
  EXPECT_THAT(json, Not(HasSubstr("\"verdict\"")));
  EXPECT_THAT(json, HasSubstr("\"description\":\"one target only\""));
  EXPECT_FALSE(ParseResults(json).has_verdict());
  EXPECT_THAT(
      absl::string_view(kReportJs, kReportJsSize),
      HasSubstr("'No verdict: a verdict compares exactly two targets'"));
}

TEST(RenderReportHtmlTest, EscapesMarkupInTheDescriptionAndVerdict) {
  Results results = ResultsWithVerdict();
  const std::string evil = "<script>alert(1)</script><!--<img src=x>";
  results.mutable_config()->set_description(evil);
  results.mutable_verdict()->set_sentences(0, evil);
  results.mutable_verdict()->mutable_facts(0)->set_target(evil);
  absl::StatusOr<std::string> html = RenderReportHtml(results);
  ASSERT_TRUE(html.ok()) << html.status();
  EXPECT_THAT(*html, Not(HasSubstr("alert(1)</script>")));
  EXPECT_THAT(*html, Not(HasSubstr("<!--<img")));
  std::size_t closes = 0;
  for (std::size_t at = html->find("</script>"); at != std::string::npos;
       at = html->find("</script>", at + 1)) {
    ++closes;
  }
  EXPECT_EQ(closes, 3u);
  const Results parsed = ParseResults(EmbeddedJson(*html));
  EXPECT_EQ(parsed.config().description(), evil);
  EXPECT_EQ(parsed.verdict().sentences(0), evil);
  EXPECT_EQ(parsed.verdict().facts(0).target(), evil);
  // The script sets every string from the results as text, never as markup.
  const absl::string_view script(kReportJs, kReportJsSize);
  for (absl::string_view parser :
       {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
        "createContextualFragment", "DOMParser"}) {
    EXPECT_THAT(script, Not(HasSubstr(parser)));
  }
}

// No DOM here either: the page carries the sweep (proto field names, as
// report.js reads them), and the page's script draws its section right after
// the verdict.
TEST(RenderReportHtmlTest, EmbedsTheSweepForItsSectionAfterTheVerdict) {
  const Results results = ResultsWithSweep();
  absl::StatusOr<std::string> html = RenderReportHtml(results);
  ASSERT_TRUE(html.ok()) << html.status();
  const std::string json = EmbeddedJson(*html);
  EXPECT_THAT(json, HasSubstr("\"targets\":[]"));
  EXPECT_THAT(json, HasSubstr("\"sweep\":{\"name\":\"upstream_delay\""));
  EXPECT_THAT(json, HasSubstr("\"load_unit\":\"calls/s\""));
  EXPECT_THAT(json, HasSubstr("\"value_number\":50"));
  EXPECT_THAT(json, HasSubstr("\"directory\":\"upstream_delay=50ms\""));
  EXPECT_THAT(json, HasSubstr("\"capacity_ratio\":1.35"));
  EXPECT_THAT(json, HasSubstr("\"pays\":true"));
  EXPECT_THAT(json, HasSubstr("\"capacity_status\":[\"within_precision\"]"));
  EXPECT_THAT(json, HasSubstr("\"from_value\":\"50ms\""));
  EXPECT_THAT(json, HasSubstr("\"detail\":\"db\""));
  const Results parsed = ParseResults(json);
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(results, parsed)) << diff;
  // An unset capacity ratio stays absent, so the page shows none for 0ms.
  EXPECT_FALSE(parsed.sweep().points(0).has_capacity_ratio());

  const absl::string_view script(kReportJs, kReportJsSize);
  EXPECT_THAT(script, HasSubstr("function sweepSection(model)"));
  EXPECT_THAT(script, HasSubstr("el('section', {id: 'sweep'}"));
  EXPECT_THAT(script, HasSubstr("const sweep = sweepSection(model);"));
  EXPECT_THAT(script, HasSubstr("[header(model), verdictSection(model), "
                                "sweep.nodes, configSection(model),"));
  // Read with the proto's field names.
  for (absl::string_view field :
       {"s.load_unit", "p.capacity_ratio", "p.capacity_status",
        "crossover.from_value", "p.directory"}) {
    EXPECT_THAT(script, HasSubstr(field));
  }
}

TEST(RenderReportHtmlTest, RendersASweepWithoutTargetsOrValues) {
  // A sweep's per-target sections are left to each value's own report.
  EXPECT_THAT(absl::string_view(kReportJs, kReportJsSize),
              HasSubstr("if (model.sweep && !model.targets.length) return "
                        "{nodes: [], panels: []};"));

  Results bare;
  bare.mutable_sweep()->set_name("items");
  absl::StatusOr<std::string> html = RenderReportHtml(bare);
  ASSERT_TRUE(html.ok()) << html.status();
  EXPECT_THAT(*html, HasSubstr("<title>loadgen sweep: items</title>"));
  const Results parsed = ParseResults(EmbeddedJson(*html));
  EXPECT_TRUE(parsed.has_sweep());
  EXPECT_EQ(parsed.targets_size(), 0);
  EXPECT_EQ(parsed.sweep().points_size(), 0);

  // Markup in the sweep's strings stays data.
  Results evil = ResultsWithSweep();
  const std::string markup = "</script><script>alert(1)</script><!--";
  evil.mutable_sweep()->mutable_crossover()->set_statement(markup);
  evil.mutable_sweep()->mutable_points(0)->set_directory(markup);
  absl::StatusOr<std::string> escaped = RenderReportHtml(evil);
  ASSERT_TRUE(escaped.ok()) << escaped.status();
  EXPECT_THAT(*escaped, Not(HasSubstr("alert(1)</script>")));
  std::size_t closes = 0;
  for (std::size_t at = escaped->find("</script>"); at != std::string::npos;
       at = escaped->find("</script>", at + 1)) {
    ++closes;
  }
  EXPECT_EQ(closes, 3u);
  EXPECT_EQ(
      ParseResults(EmbeddedJson(*escaped)).sweep().crossover().statement(),
      markup);
}

TEST(RenderReportHtmlTest, RendersWithoutTargetsOrSteps) {
  absl::StatusOr<std::string> empty = RenderReportHtml(Results());
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_THAT(*empty, HasSubstr("<title>loadgen report</title>"));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      ParseResults(EmbeddedJson(*empty)), Results()));

  Results no_steps;
  no_steps.mutable_config()->set_mode("open");
  no_steps.add_targets()->set_name("sync");
  no_steps.mutable_targets(0)->set_note("target died before the first step");
  absl::StatusOr<std::string> html = RenderReportHtml(no_steps);
  ASSERT_TRUE(html.ok()) << html.status();
  EXPECT_EQ(ParseResults(EmbeddedJson(*html)).targets(0).note(),
            "target died before the first step");
}

TEST(RerenderReportTest, WritesReportHtmlBesideResultsJson) {
  ScratchDir dir;
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(SyntheticResults(),
                                                          &json, options)
                  .ok());
  WriteAll(dir.path() / "results.json", json);

  ASSERT_TRUE(RerenderReport(dir.path().string()).ok());
  const std::string written = ReadAll(dir.path() / "report.html");
  absl::StatusOr<std::string> expected = RenderReportHtml(SyntheticResults());
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(written, *expected);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "report.html.tmp"));

  // Rerendering replaces the page.
  WriteAll(dir.path() / "report.html", "stale");
  ASSERT_TRUE(RerenderReport(dir.path().string()).ok());
  EXPECT_EQ(ReadAll(dir.path() / "report.html"), *expected);
}

TEST(RerenderReportTest, MissingResultsJsonIsNotFound) {
  ScratchDir dir;
  const absl::Status status = RerenderReport(dir.path().string());
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_THAT(status.message(), HasSubstr("results.json"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "report.html"));

  const absl::Status no_dir =
      RerenderReport((dir.path() / "no-such-dir").string());
  EXPECT_EQ(no_dir.code(), absl::StatusCode::kNotFound) << no_dir;
}

TEST(RerenderReportTest, MalformedResultsJsonIsInvalidArgument) {
  for (absl::string_view text :
       {"", "{", "not json", "[1, 2]", "{\"targets\": 3}",
        "{\"no_such_field\": 1}"}) {
    ScratchDir dir;
    WriteAll(dir.path() / "results.json", text);
    const absl::Status status = RerenderReport(dir.path().string());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument)
        << "for \"" << text << "\": " << status;
    EXPECT_THAT(status.message(), HasSubstr("results.json")) << text;
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "report.html")) << text;
  }
}

}  // namespace
}  // namespace asyncgrpc::loadgen
