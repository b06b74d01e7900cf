#include "loadgen/server_metrics/metrics_scraper.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

// A tiny HTTP server on 127.0.0.1:0: for each connection it reads the request
// head, records it, and sends the pieces `respond` gives (a short pause
// between pieces, so the client sees them in separate reads); an empty list
// means "never answer" (the connection stays open until the server stops).
class FakeHttpServer {
 public:
  using Respond = std::function<std::vector<std::string>(int connection)>;

  explicit FakeHttpServer(Respond respond) : respond_(std::move(respond)) {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), length),
              0);
    EXPECT_EQ(listen(listener_, 16), 0);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }

  ~FakeHttpServer() {
    stopping_ = true;
    thread_.join();
    close(listener_);
  }

  int port() const { return port_; }

  std::vector<std::string> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  void Serve() {
    for (int connection = 0; !stopping_; ++connection) {
      pollfd p{.fd = listener_, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, 20) <= 0) {
        --connection;
        continue;
      }
      const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        continue;
      }
      std::string request;
      char buffer[4096];
      while (!absl::StrContains(request, "\r\n\r\n")) {
        const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0) {
          break;
        }
        request.append(buffer, static_cast<size_t>(n));
      }
      {
        absl::MutexLock lock(&mu_);
        requests_.push_back(request);
      }
      const std::vector<std::string> pieces = respond_(connection);
      if (pieces.empty()) {
        while (!stopping_) {
          absl::SleepFor(absl::Milliseconds(10));
        }
      }
      for (const std::string& piece : pieces) {
        send(fd, piece.data(), piece.size(), MSG_NOSIGNAL);
        absl::SleepFor(absl::Milliseconds(5));
      }
      close(fd);
    }
  }

  Respond respond_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<std::string> requests_ ABSL_GUARDED_BY(mu_);
};

// A port nothing listens on (bound, then released).
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  bind(fd, reinterpret_cast<sockaddr*>(&address), length);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

MetricsUrl UrlFor(int port, const std::string& path = "/metrics") {
  MetricsUrl url;
  url.target = "async";
  url.url = absl::StrCat("http://127.0.0.1:", port, path);
  url.host = "127.0.0.1";
  url.port = port;
  url.path = path;
  return url;
}

TEST(ParseHttpResponseTest, ContentLength) {
  const std::string raw =
      "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\n"
      "Content-Length: 5\r\n\r\nhello";
  auto parsed = ParseHttpResponse(raw, false);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_TRUE(parsed->has_value());
  EXPECT_EQ((*parsed)->status, 200);
  EXPECT_EQ((*parsed)->content_type, "text/plain; version=0.0.4");
  EXPECT_EQ((*parsed)->body, "hello");
  // Short of the length: more is needed, or (closed) it was cut.
  auto short_body = ParseHttpResponse(raw.substr(0, raw.size() - 1), false);
  ASSERT_TRUE(short_body.ok());
  EXPECT_FALSE(short_body->has_value());
  EXPECT_TRUE(absl::IsInvalidArgument(
      ParseHttpResponse(raw.substr(0, raw.size() - 1), true).status()));
}

TEST(ParseHttpResponseTest, ChunkedWithExtensionsAndTrailers) {
  const std::string raw =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n"
      "7\r\n, world\r\n"
      "0\r\nX-Trailer: 1\r\n\r\n";
  auto parsed = ParseHttpResponse(raw, false);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_TRUE(parsed->has_value());
  EXPECT_EQ((*parsed)->body, "hello, world");
  // Every cut before the end needs more bytes.
  for (size_t cut = 0; cut < raw.size(); ++cut) {
    auto partial = ParseHttpResponse(raw.substr(0, cut), false);
    ASSERT_TRUE(partial.ok()) << cut << ": " << partial.status();
    EXPECT_FALSE(partial->has_value()) << cut;
  }
  EXPECT_TRUE(absl::IsInvalidArgument(
      ParseHttpResponse(raw.substr(0, raw.size() - 4), true).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      ParseHttpResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "zz\r\n",
                        false)
          .status()));
}

TEST(ParseHttpResponseTest, BodyEndedByCloseAndBareLineFeeds) {
  const std::string raw = "HTTP/1.0 200 OK\nServer: x\n\nmetric 1\n";
  auto open = ParseHttpResponse(raw, false);
  ASSERT_TRUE(open.ok());
  EXPECT_FALSE(open->has_value());
  auto closed = ParseHttpResponse(raw, true);
  ASSERT_TRUE(closed.ok()) << closed.status();
  ASSERT_TRUE(closed->has_value());
  EXPECT_EQ((*closed)->body, "metric 1\n");
}

TEST(ParseHttpResponseTest, RefusesWhatIsNotPlainHttp) {
  EXPECT_TRUE(absl::IsInvalidArgument(
      ParseHttpResponse("SSH-2.0-OpenSSH_9.2\r\n", false).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      ParseHttpResponse("HTTP/1.1 abc OK\r\n\r\n", true).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(ParseHttpResponse("HTTP/1.1 200 OK\r\nContent-"
                                                "Encoding: gzip\r\n\r\n\x1f",
                                                true)
                                  .status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseHttpResponse("", true).status()));
}

TEST(HttpGetTest, SendsAPlainGetAndReadsAChunkedAnswerInPieces) {
  FakeHttpServer server([](int) {
    return std::vector<std::string>{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chu",
                                    "nked\r\n\r\n4\r\nup 1", "\r\n0\r\n\r\n"};
  });
  absl::StatusOr<HttpResponse> response =
      HttpGet("127.0.0.1", server.port(), "/metrics?x=1", absl::Seconds(2));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "up 1");
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(requests[0], "GET /metrics?x=1 HTTP/1.1\r\n"))
      << requests[0];
  EXPECT_TRUE(absl::StrContains(
      requests[0], absl::StrCat("Host: 127.0.0.1:", server.port(), "\r\n")));
  EXPECT_TRUE(absl::StrContains(requests[0], "Connection: close\r\n"));
  EXPECT_TRUE(absl::StrContains(requests[0], "Accept-Encoding: identity\r\n"));
}

TEST(HttpGetTest, ASilentServerTimesOut) {
  FakeHttpServer server([](int) { return std::vector<std::string>{}; });
  const absl::Time start = absl::Now();
  absl::StatusOr<HttpResponse> response =
      HttpGet("127.0.0.1", server.port(), "/metrics", absl::Milliseconds(300));
  const absl::Duration took = absl::Now() - start;
  EXPECT_TRUE(absl::IsDeadlineExceeded(response.status())) << response.status();
  EXPECT_GE(took, absl::Milliseconds(290));
  EXPECT_LT(took, absl::Seconds(2));
}

TEST(HttpGetTest, NobodyListeningIsUnavailable) {
  absl::StatusOr<HttpResponse> response =
      HttpGet("127.0.0.1", ClosedPort(), "/metrics", absl::Seconds(2));
  EXPECT_TRUE(absl::IsUnavailable(response.status())) << response.status();
}

TEST(ScrapeTextTest, AnErrorStatusIsAFailedScrape) {
  FakeHttpServer server([](int) {
    return std::vector<std::string>{
        "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"};
  });
  absl::StatusOr<std::string> text =
      ScrapeText(UrlFor(server.port()), absl::Seconds(2));
  EXPECT_FALSE(text.ok());
  EXPECT_TRUE(absl::StrContains(text.status().message(), "404"))
      << text.status();
}

std::string Counter(double value) {
  const std::string body = absl::StrCat(
      "# TYPE asyncgrpc_rpcs_total counter\n"
      "asyncgrpc_rpcs_total{code=\"OK\",method=\"GetItem\",service=\"sync\"} ",
      value,
      "\n# TYPE asyncgrpc_threads gauge\n"
      "asyncgrpc_threads{service=\"sync\"} ",
      value / 10, "\n");
  return absl::StrCat("HTTP/1.1 200 OK\r\nContent-Length: ", body.size(),
                      "\r\n\r\n", body);
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
  const MetricsUrl dead = UrlFor(ClosedPort());
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

TEST(ServerMetricsRecorderTest, WithoutUrlsNothingIsScraped) {
  ServerMetricsRecorder recorder({});
  EXPECT_TRUE(recorder.empty());
  recorder.WindowStart(0);
  recorder.WindowEnd(0);
  EXPECT_TRUE(recorder.Collect(0).empty());
}

}  // namespace
}  // namespace asyncgrpc::loadgen
