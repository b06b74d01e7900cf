#include "loadgen/server_metrics/scraper.h"

#include <cstdlib>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "loadgen/server_metrics/exposition.h"
#include "tests/support/fake_http_server.h"
#include "tests/support/ports.h"

namespace asyncgrpc::loadgen {
namespace {

using ::asyncgrpc::testing::FakeHttpServer;
using ::asyncgrpc::testing::PickFreePort;

MetricsUrl UrlFor(int port, const std::string& path = "/metrics",
                  const std::string& host = "127.0.0.1") {
  MetricsUrl url;
  url.target = "async";
  url.url = absl::StrCat("http://", host, ":", port, path);
  url.host = host;
  url.port = port;
  url.path = path;
  return url;
}

std::vector<std::string> Answer(const std::string& status_line,
                                const std::string& content_type,
                                const std::string& body) {
  return {absl::StrCat(status_line, "\r\nContent-Type: ", content_type,
                       "\r\nContent-Length: ", body.size(), "\r\n\r\n", body)};
}

// Sets an environment variable for the test's lifetime. Tests run one at a
// time, and the variable is set before, and restored after, any thread that
// could read it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) {
      old_ = old;
    }
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_.has_value()) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// First in the file, so that libcurl's global initialization happens under
// concurrent scrapes too, as in a run (the recorder scrapes every endpoint at
// once); under TSan this also covers libcurl's resolver threads.
// .invalid never resolves (RFC 6761): UNAVAILABLE at once, or, where the
// machine's DNS server drops such queries instead of answering, the scrape's
// timeout.
bool FailedToResolve(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status);
}

TEST(ScrapeTextTest, ScrapesRunConcurrently) {
  FakeHttpServer server(
      [](int) { return Answer("HTTP/1.1 200 OK", "text/plain", "up 1\n"); });
  std::vector<std::future<absl::StatusOr<std::string>>> scrapes;
  for (int i = 0; i < 8; ++i) {
    const MetricsUrl url =
        i % 2 == 0
            ? UrlFor(server.port())
            : UrlFor(80, "/metrics", absl::StrCat("host", i, ".invalid"));
    scrapes.push_back(std::async(std::launch::async, [url] {
      return ScrapeText(url, absl::Seconds(5));
    }));
  }
  for (int i = 0; i < 8; ++i) {
    absl::StatusOr<std::string> text = scrapes[i].get();
    if (i % 2 == 0) {
      EXPECT_EQ(text.value_or(""), "up 1\n") << i << ": " << text.status();
    } else {
      EXPECT_TRUE(FailedToResolve(text.status())) << i << ": " << text.status();
    }
  }
}

TEST(ScrapeTextTest, AServedExpositionIsScrapedAndParsed) {
  FakeHttpServer server([](int) {
    return Answer("HTTP/1.1 200 OK", "text/plain; version=0.0.4",
                  "# TYPE up gauge\nup{job=\"a\"} 1\n");
  });
  absl::StatusOr<std::string> text =
      ScrapeText(UrlFor(server.port()), absl::Seconds(2));
  ASSERT_TRUE(text.ok()) << text.status();
  absl::StatusOr<Exposition> exposition = ParseExposition(*text);
  ASSERT_TRUE(exposition.ok()) << exposition.status();
  ASSERT_EQ(exposition->samples.size(), 1u);
  EXPECT_EQ(exposition->samples[0].Label("job"), "a");
  EXPECT_EQ(exposition->TypeOf("up"), "gauge");
}

TEST(ScrapeTextTest, SendsAPlainGetAndReadsAChunkedAnswerInPieces) {
  FakeHttpServer server([](int) {
    return std::vector<std::string>{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chu",
                                    "nked\r\n\r\n4;ext=1\r\nup 1",
                                    "\r\n1\r\n\n\r\n0\r\nX-Trailer: 1\r\n\r\n"};
  });
  absl::StatusOr<std::string> text =
      ScrapeText(UrlFor(server.port(), "/metrics?x=1"), absl::Seconds(2));
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "up 1\n");
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const std::string& request = requests[0];
  EXPECT_TRUE(absl::StartsWith(request, "GET /metrics?x=1 HTTP/1.1\r\n"))
      << request;
  EXPECT_TRUE(absl::StrContains(
      request, absl::StrCat("Host: 127.0.0.1:", server.port(), "\r\n")))
      << request;
  EXPECT_TRUE(absl::StrContains(request, "User-Agent: asyncgrpc-loadgen\r\n"));
  EXPECT_TRUE(absl::StrContains(
      request, "Accept: text/plain;version=0.0.4;q=1,*/*;q=0.1\r\n"));
  EXPECT_TRUE(absl::StrContains(request, "Accept-Encoding: identity\r\n"));
  EXPECT_TRUE(absl::StrContains(request, "Connection: close\r\n"));
}

TEST(ScrapeTextTest, ASilentServerTimesOut) {
  FakeHttpServer server([](int) { return std::vector<std::string>{}; });
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> text =
      ScrapeText(UrlFor(server.port()), absl::Milliseconds(300));
  const absl::Duration took = absl::Now() - start;
  EXPECT_TRUE(absl::IsDeadlineExceeded(text.status())) << text.status();
  EXPECT_GE(took, absl::Milliseconds(290));
  EXPECT_LT(took, absl::Seconds(2));
}

TEST(ScrapeTextTest, NobodyListeningIsUnavailable) {
  absl::StatusOr<std::string> text =
      ScrapeText(UrlFor(PickFreePort()), absl::Seconds(2));
  EXPECT_TRUE(absl::IsUnavailable(text.status())) << text.status();
}

TEST(ScrapeTextTest, AnIpv6AddressIsBracketedInTheUrl) {
  // "http://::1:PORT/metrics" would be a malformed URL, not a refused
  // connection.
  absl::StatusOr<std::string> text =
      ScrapeText(UrlFor(PickFreePort(), "/metrics", "::1"), absl::Seconds(2));
  EXPECT_TRUE(absl::IsUnavailable(text.status())) << text.status();
  EXPECT_TRUE(absl::StrContains(text.status().message(), "connect"))
      << text.status();
}

// Resolved on libcurl's resolver thread (an address or "localhost" is not):
TEST(ScrapeTextTest, AnUnknownHostIsUnavailable) {
  absl::StatusOr<std::string> text = ScrapeText(
      UrlFor(9464, "/metrics", "no-such-host.invalid"), absl::Seconds(2));
  EXPECT_TRUE(FailedToResolve(text.status())) << text.status();
  EXPECT_TRUE(absl::StrContains(text.status().message(), "no-such-host"))
      << text.status();
}

TEST(ScrapeTextTest, AnErrorStatusIsAFailedScrape) {
  FakeHttpServer server([](int connection) {
    return connection == 0
               ? Answer("HTTP/1.1 404 Not Found", "text/plain", "not found")
               : Answer("HTTP/1.1 302 Found\r\nLocation: /elsewhere",
                        "text/plain", "");
  });
  absl::StatusOr<std::string> text =
      ScrapeText(UrlFor(server.port()), absl::Seconds(2));
  EXPECT_TRUE(absl::IsUnavailable(text.status())) << text.status();
  EXPECT_EQ(text.status().message(), "HTTP status 404");
  // A redirect is not followed.
  text = ScrapeText(UrlFor(server.port()), absl::Seconds(2));
  EXPECT_EQ(text.status().message(), "HTTP status 302");
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(ScrapeTextTest, AnHtmlPageIsNotPrometheusText) {
  FakeHttpServer server([](int) {
    return Answer("HTTP/1.1 200 OK", "text/html",
                  "<html>\n<body>Grafana</body>\n</html>\n");
  });
  absl::StatusOr<std::string> text =
      ScrapeText(UrlFor(server.port()), absl::Seconds(2));
  ASSERT_TRUE(text.ok()) << text.status();
  absl::StatusOr<Exposition> exposition = ParseExposition(*text);
  EXPECT_TRUE(absl::IsInvalidArgument(exposition.status()));
  EXPECT_TRUE(
      absl::StrContains(exposition.status().message(), "not Prometheus text"))
      << exposition.status();
}

TEST(ScrapeTextTest, AProxyFromTheEnvironmentIsNotUsed) {
  const std::string dead_proxy =
      absl::StrCat("http://127.0.0.1:", PickFreePort());
  const ScopedEnv lower("http_proxy", dead_proxy.c_str());
  const ScopedEnv upper("HTTP_PROXY", dead_proxy.c_str());
  const ScopedEnv all("ALL_PROXY", dead_proxy.c_str());
  const ScopedEnv no_lower("no_proxy", nullptr);
  const ScopedEnv no_upper("NO_PROXY", nullptr);
  FakeHttpServer server(
      [](int) { return Answer("HTTP/1.1 200 OK", "text/plain", "up 1\n"); });
  absl::StatusOr<std::string> text =
      ScrapeText(UrlFor(server.port()), absl::Seconds(2));
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "up 1\n");
}

}  // namespace
}  // namespace asyncgrpc::loadgen
