#include "loadgen/server_metrics/recorder.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/fake_http_server.h"
#include "tests/support/ports.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

using ::asyncgrpc::testing::FakeHttpServer;
using ::asyncgrpc::testing::PickFreePort;

MetricsUrl UrlFor(int port, const std::string& target = "async") {
  MetricsUrl url;
  url.target = target;
  url.url = absl::StrCat("http://127.0.0.1:", port, "/metrics");
  url.host = "127.0.0.1";
  url.port = port;
  url.path = "/metrics";
  return url;
}

std::string Ok(const std::string& body) {
  return absl::StrCat("HTTP/1.1 200 OK\r\nContent-Length: ", body.size(),
                      "\r\n\r\n", body);
}

std::string Counter(double value) {
  return Ok(absl::StrCat(
      "# TYPE asyncgrpc_rpcs_total counter\n"
      "asyncgrpc_rpcs_total{code=\"OK\",method=\"GetItem\",service=\"sync\"} ",
      value,
      "\n# TYPE asyncgrpc_threads gauge\n"
      "asyncgrpc_threads{service=\"sync\"} ",
      value / 10, "\n"));
}

TEST(ServerMetricsRecorderTest, RecordsIncreasesPerStep) {
  // Each scrape sees 100 more calls than the one before.
  FakeHttpServer server([](int connection) {
    return std::vector<std::string>{Counter(100.0 * (connection + 1))};
  });
  ServerMetricsRecorder recorder({UrlFor(server.port())});
  EXPECT_FALSE(recorder.empty());
  recorder.WindowStart(0);
  absl::SleepFor(absl::Milliseconds(100));
  recorder.WindowEnd(0);
  absl::SleepFor(absl::Milliseconds(100));
  recorder.WindowStart(1);
  absl::SleepFor(absl::Milliseconds(100));
  recorder.WindowEnd(1);
  for (int step : {0, 1}) {
    const std::vector<pb::ServerMetrics> metrics = recorder.Collect(step);
    ASSERT_EQ(metrics.size(), 1u);
    const pb::ServerMetrics& m = metrics[0];
    EXPECT_EQ(m.error(), "") << step;
    EXPECT_EQ(m.url(), UrlFor(server.port()).url);
    EXPECT_EQ(m.service(), "sync");
    EXPECT_EQ(m.rpcs_by_code().at("OK"), 100) << step;
    EXPECT_GT(m.window_s(), 0.05);
    EXPECT_NEAR(m.rps(), 100 / m.window_s(), 1e-9);
    EXPECT_EQ(m.gauges().at("asyncgrpc_threads"), 10 * (2 * step + 2)) << step;
  }
  // Collected once.
  EXPECT_TRUE(recorder.Collect(0).empty());
}

TEST(ServerMetricsRecorderTest, AFailedScrapeIsRecordedNotFatal) {
  // The window's start is answered, its end is not (a 404).
  FakeHttpServer server([](int connection) {
    return connection == 0
               ? std::vector<std::string>{Counter(5)}
               : std::vector<std::string>{
                     "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"};
  });
  const MetricsUrl dead = UrlFor(PickFreePort());
  ServerMetricsRecorder recorder({UrlFor(server.port()), dead},
                                 absl::Milliseconds(500));
  recorder.WindowStart(0);
  absl::SleepFor(absl::Milliseconds(50));
  recorder.WindowEnd(0);
  const std::vector<pb::ServerMetrics> metrics = recorder.Collect(0);
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_TRUE(absl::StrContains(metrics[0].error(), "(window end) failed"))
      << metrics[0].error();
  EXPECT_TRUE(absl::StrContains(metrics[0].error(), "404"));
  EXPECT_FALSE(absl::StrContains(metrics[0].error(), "(window start)"));
  EXPECT_TRUE(metrics[0].rpcs_by_code().empty());
  EXPECT_TRUE(absl::StrContains(metrics[1].error(), "(window start) failed"));
  EXPECT_TRUE(absl::StrContains(metrics[1].error(), "(window end) failed"));
  EXPECT_EQ(metrics[1].url(), dead.url);
}

TEST(ServerMetricsRecorderTest, GaugesAtTheEndSurviveAFailedStart) {
  // The window's start gets a 503, its end the counters and gauges.
  FakeHttpServer server([](int connection) {
    return std::vector<std::string>{
        connection == 0
            ? "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
            : Counter(50)};
  });
  ServerMetricsRecorder recorder({UrlFor(server.port())});
  recorder.WindowStart(0);
  absl::SleepFor(absl::Milliseconds(50));
  recorder.WindowEnd(0);
  const std::vector<pb::ServerMetrics> metrics = recorder.Collect(0);
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_TRUE(absl::StrContains(metrics[0].error(), "(window start) failed"))
      << metrics[0].error();
  EXPECT_TRUE(absl::StrContains(metrics[0].error(), "HTTP status 503"));
  EXPECT_EQ(metrics[0].gauges().at("asyncgrpc_threads"), 5);
  EXPECT_TRUE(metrics[0].rpcs_by_code().empty());
  EXPECT_EQ(metrics[0].rps(), 0);
  EXPECT_GT(metrics[0].window_s(), 0);
}

TEST(ServerMetricsRecorderTest, WithoutUrlsNothingIsScraped) {
  ServerMetricsRecorder recorder({});
  EXPECT_TRUE(recorder.empty());
  recorder.WindowStart(0);
  recorder.WindowEnd(0);
  EXPECT_TRUE(recorder.Collect(0).empty());
}

TEST(WarnAboutSilentEndpointsTest, WarnsAboutWhatIsNotPrometheusText) {
  FakeHttpServer good([](int) { return std::vector<std::string>{Counter(1)}; });
  FakeHttpServer html([](int) {
    return std::vector<std::string>{
        Ok("<html>\n<body>Grafana</body>\n</html>\n")};
  });
  const MetricsUrl dead = UrlFor(PickFreePort(), "sync");
  ::testing::internal::CaptureStderr();
  WarnAboutSilentEndpoints({UrlFor(good.port()), UrlFor(html.port()), dead});
  const std::string warnings = ::testing::internal::GetCapturedStderr();
  EXPECT_FALSE(absl::StrContains(warnings, UrlFor(good.port()).url))
      << warnings;
  EXPECT_TRUE(absl::StrContains(
      warnings, absl::StrCat("--metrics_url async=", UrlFor(html.port()).url,
                             ": not Prometheus text")))
      << warnings;
  EXPECT_TRUE(absl::StrContains(warnings, "--metrics_url sync=" + dead.url))
      << warnings;
}

TEST(ServerMetricsHooksTest, ARecorderForEachTargetWithEndpoints) {
  RunConfig config;
  EXPECT_FALSE(ServerMetricsHooks(config).observer_for);
  EXPECT_FALSE(ServerMetricsHooks(config).before_load);
  config.metrics_urls = {UrlFor(PickFreePort(), "sync")};
  const RunHooks hooks = ServerMetricsHooks(config);
  ASSERT_TRUE(hooks.observer_for);
  EXPECT_TRUE(hooks.before_load);
  Target sync;
  sync.name = "sync";
  Target async;
  async.name = "async";
  EXPECT_NE(hooks.observer_for(sync), nullptr);
  EXPECT_EQ(hooks.observer_for(async), nullptr);
}

}  // namespace
}  // namespace asyncgrpc::loadgen
