#include "loadgen/server_metrics/recorder.h"

#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "loadgen/server_metrics/scraper.h"
#include "loadgen/server_metrics/step_metrics.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

std::string Now8601Ms(absl::Time t) {
  return absl::FormatTime("%H:%M:%E3S", t, absl::UTCTimeZone());
}

}  // namespace

void WarnAboutSilentEndpoints(const std::vector<MetricsUrl>& urls) {
  for (const MetricsUrl& url : urls) {
    absl::StatusOr<std::string> text = ScrapeText(url, absl::Seconds(2));
    absl::Status status = text.status();
    if (text.ok()) {
      status = ParseExposition(*text).status();
    }
    if (!status.ok()) {
      std::cerr << "warning: --metrics_url " << url.target << "=" << url.url
                << ": " << status.message()
                << " (the run goes on; each step records its failed scrapes)"
                << std::endl;
    }
  }
}

RunHooks ServerMetricsHooks(const RunConfig& config) {
  if (config.metrics_urls.empty()) {
    return {};
  }
  return {.before_load =
              [urls = config.metrics_urls] { WarnAboutSilentEndpoints(urls); },
          .observer_for = [urls = config.metrics_urls](const Target& target)
              -> std::unique_ptr<StepObserver> {
            std::vector<MetricsUrl> mine;
            for (const MetricsUrl& url : urls) {
              if (url.target == target.name) {
                mine.push_back(url);
              }
            }
            if (mine.empty()) {
              return nullptr;
            }
            return std::make_unique<ServerMetricsRecorder>(std::move(mine));
          }};
}

ServerMetricsRecorder::ServerMetricsRecorder(std::vector<MetricsUrl> urls,
                                             absl::Duration timeout)
    : urls_(std::move(urls)), timeout_(timeout) {}

std::vector<std::future<ServerMetricsRecorder::Scrape>>
ServerMetricsRecorder::StartAll() {
  std::vector<std::future<Scrape>> scrapes;
  for (const MetricsUrl& url : urls_) {
    scrapes.push_back(std::async(std::launch::async, [url, timeout = timeout_] {
      Scrape scrape{.at = absl::Now(), .exposition = absl::UnknownError("")};
      absl::StatusOr<std::string> text = ScrapeText(url, timeout);
      scrape.exposition = text.ok() ? ParseExposition(*text)
                                    : absl::StatusOr<Exposition>(text.status());
      return scrape;
    }));
  }
  return scrapes;
}

void ServerMetricsRecorder::WindowStart(int step) {
  if (!urls_.empty()) {
    starts_[step] = StartAll();
  }
}

void ServerMetricsRecorder::WindowEnd(int step) {
  if (!urls_.empty()) {
    ends_[step] = StartAll();
  }
}

void ServerMetricsRecorder::AddTo(pb::Step* step) {
  for (pb::ServerMetrics& metrics : Collect(step->index())) {
    *step->add_server_metrics() = std::move(metrics);
  }
}

std::vector<pb::ServerMetrics> ServerMetricsRecorder::Collect(int step) {
  std::vector<pb::ServerMetrics> out;
  auto starts = starts_.find(step);
  auto ends = ends_.find(step);
  if (starts == starts_.end() || ends == ends_.end()) {
    return out;
  }
  for (size_t i = 0; i < urls_.size(); ++i) {
    const Scrape start = starts->second[i].get();
    const Scrape end = ends->second[i].get();
    out.push_back(MetricsOf(urls_[i], start, end));
  }
  starts_.erase(starts);
  ends_.erase(ends);
  return out;
}

pb::ServerMetrics ServerMetricsRecorder::MetricsOf(const MetricsUrl& url,
                                                   const Scrape& start,
                                                   const Scrape& end) {
  pb::ServerMetrics metrics;
  metrics.set_url(url.url);
  const double window_s = absl::ToDoubleSeconds(end.at - start.at);
  std::vector<std::string> errors;
  if (!start.exposition.ok()) {
    errors.push_back(absl::StrCat(
        "scrape at ", Now8601Ms(start.at),
        " (window start) failed: ", start.exposition.status().message()));
  }
  if (!end.exposition.ok()) {
    errors.push_back(absl::StrCat(
        "scrape at ", Now8601Ms(end.at),
        " (window end) failed: ", end.exposition.status().message()));
  }
  if (errors.empty()) {
    ComputeServerMetrics(*start.exposition, *end.exposition, window_s,
                         &metrics);
    return metrics;
  }
  if (end.exposition.ok()) {
    // The gauges at the end are still known; increases are not.
    ComputeServerMetrics(Exposition(), *end.exposition, 0, &metrics);
    metrics.clear_rpcs_by_code();
    metrics.clear_rpcs_by_method_code();
    metrics.clear_latency();
    metrics.clear_latency_by_method();
    metrics.clear_process_cpu_cores();
  }
  metrics.set_error(absl::StrJoin(errors, "; "));
  metrics.set_window_s(window_s);
  return metrics;
}

}  // namespace asyncgrpc::loadgen
