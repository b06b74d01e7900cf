// Fetching a service's Prometheus endpoint (--metrics_url) over plain HTTP:
// libcurl does the HTTP (one easy handle per scrape, so scrapes may run on
// any number of threads at once), the whole exchange bounded by a timeout.
// The body is returned as it is; exposition.h parses it.
//
//   absl::StatusOr<std::string> text = ScrapeText(url, absl::Seconds(2));
//   if (!text.ok()) return text.status();  // UNAVAILABLE, DEADLINE_EXCEEDED
//   absl::StatusOr<Exposition> exposition = ParseExposition(*text);
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "loadgen/core/notation.h"

namespace asyncgrpc::loadgen {

// GET http://HOST:PORT/PATH of `url` (never through a proxy, never following
// a redirect), asking for uncompressed Prometheus text; everything, name
// resolution included, within `timeout`. The body when the status is 200;
// otherwise UNAVAILABLE ("HTTP status 404", connection refused, unknown
// host, not HTTP...), DEADLINE_EXCEEDED when `timeout` passed, and
// INVALID_ARGUMENT for a body over 32 MiB (no exposition is that large).
absl::StatusOr<std::string> ScrapeText(const MetricsUrl& url,
                                       absl::Duration timeout);

}  // namespace asyncgrpc::loadgen
