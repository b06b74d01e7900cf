// --metrics_url during a run: ServerMetricsRecorder, the StepObserver that
// scrapes a target's endpoints (scraper.h) in the background when each step's
// measured window starts and ends, so a slow or dead endpoint never delays the
// load, and turns each pair of scrapes into the step's ServerMetrics
// (step_metrics.h). A failed scrape is recorded, never fatal. main.cc plugs it
// in through ServerMetricsHooks.
//
//   absl::StatusOr<::loadgen::v1::Results> results =
//       Run(config, ServerMetricsHooks(config));
//
//   ServerMetricsRecorder metrics(config.metrics_urls_of_this_target);
//   metrics.WindowStart(step);  ...  metrics.WindowEnd(step);
//   for (auto& m : metrics.Collect(step)) *pb_step.add_server_metrics() = m;
#pragma once

#include <future>
#include <map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "loadgen/core/config.h"
#include "loadgen/core/step_observer.h"
#include "loadgen/results.pb.h"
#include "loadgen/server_metrics/exposition.h"

namespace asyncgrpc::loadgen {

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
  // `url`'s figures for the window between `start` and `end`.
  static ::loadgen::v1::ServerMetrics MetricsOf(const MetricsUrl& url,
                                                const Scrape& start,
                                                const Scrape& end);

  const std::vector<MetricsUrl> urls_;
  const absl::Duration timeout_;
  std::map<int, std::vector<std::future<Scrape>>> starts_;
  std::map<int, std::vector<std::future<Scrape>>> ends_;
};

}  // namespace asyncgrpc::loadgen
