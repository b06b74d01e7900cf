// Scraping a service's Prometheus endpoint (--metrics_url): a plain HTTP/1.1
// GET over a socket of our own (no HTTP library; the whole exchange bounded by
// a timeout), and ServerMetricsRecorder, which scrapes a target's endpoints in
// the background when each step's measured window starts and ends, so a slow
// or dead endpoint never delays the load, and turns each pair of scrapes into
// the step's ServerMetrics. A failed scrape is recorded, never fatal.
//
//   ServerMetricsRecorder metrics(config.metrics_urls_of_this_target);
//   metrics.WindowStart(step);  ...  metrics.WindowEnd(step);
//   for (auto& m : metrics.Collect(step)) *pb_step.add_server_metrics() = m;
#pragma once

#include <future>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "loadgen/core/config.h"
#include "loadgen/core/step_observer.h"
#include "loadgen/results.pb.h"
#include "loadgen/server_metrics/prometheus.h"

namespace asyncgrpc::loadgen {

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;  // De-chunked.
};

// A complete HTTP/1.x response from `raw` (everything received so far):
// nullopt when more bytes are needed (`eof`: the peer closed, so a body
// without a length ends here), INVALID_ARGUMENT when it is not HTTP or uses a
// content encoding. Handles Content-Length, chunked transfer encoding (with
// extensions and trailers) and bodies ended by the connection's close; header
// names are case-insensitive.
absl::StatusOr<std::optional<HttpResponse>> ParseHttpResponse(
    absl::string_view raw, bool eof);

// GET http://host:port/path with "Connection: close"; resolve, connect, send
// and receive all within `timeout` (name resolution itself is the system's).
// DEADLINE_EXCEEDED on timeout, UNAVAILABLE when no address connects.
absl::StatusOr<HttpResponse> HttpGet(const std::string& host, int port,
                                     const std::string& path,
                                     absl::Duration timeout);

// The exposition text at `url` (status 200 required).
absl::StatusOr<std::string> ScrapeText(const MetricsUrl& url,
                                       absl::Duration timeout);

// Warns on stderr about every endpoint of `urls` that does not answer now with
// Prometheus text; the run goes on and each step records its failed scrapes.
void WarnAboutSilentEndpoints(const std::vector<MetricsUrl>& urls);

// The hooks that record `config.metrics_urls` per step (RunHooks in
// loadgen/core/step_observer.h); none without --metrics_url.
RunHooks ServerMetricsHooks(const RunConfig& config);

class ServerMetricsRecorder : public StepObserver {
 public:
  explicit ServerMetricsRecorder(std::vector<MetricsUrl> urls,
                                 absl::Duration timeout = absl::Seconds(2));

  bool empty() const { return urls_.empty(); }

  // Start scraping every endpoint now, in the background.
  void WindowStart(int step) override;
  void WindowEnd(int step) override;
  // Adds Collect(step->index()) to the step's server_metrics.
  void AddTo(::loadgen::v1::Step* step) override;

  // One ServerMetrics per endpoint for `step`, waiting for its scrapes if they
  // still run; `error` says which scrape failed and why.
  std::vector<::loadgen::v1::ServerMetrics> Collect(int step);

 private:
  struct Scrape {
    absl::Time at;
    absl::StatusOr<Exposition> exposition;
  };
  std::vector<std::future<Scrape>> StartAll();

  const std::vector<MetricsUrl> urls_;
  const absl::Duration timeout_;
  std::map<int, std::vector<std::future<Scrape>>> starts_;
  std::map<int, std::vector<std::future<Scrape>>> ends_;
};

}  // namespace asyncgrpc::loadgen
