// What a step's ServerMetrics says, from the asyncgrpc services' expositions
// scraped at the step's measured window's start and end: the increases of
// asyncgrpc_rpcs_total and asyncgrpc_rpc_duration_seconds (counters, with
// reset handling), latency percentiles from the histogram's buckets, the
// asyncgrpc_* and process_* gauges at the end. The asyncgrpc-specific half of
// --metrics_url; the text itself is read by the generic parser
// (exposition.h). Pure logic.
//
//   absl::StatusOr<Exposition> before = ParseExposition(text_at_window_start);
//   absl::StatusOr<Exposition> after = ParseExposition(text_at_window_end);
//   ::loadgen::v1::ServerMetrics metrics;
//   ComputeServerMetrics(*before, *after, /*window_s=*/8.0, &metrics);
#pragma once

#include "loadgen/results.pb.h"
#include "loadgen/server_metrics/exposition.h"

namespace asyncgrpc::loadgen {

// The step's server-side figures from the scrapes at the measured window's
// start (`before`) and end (`after`), `window_s` apart: increases of
// asyncgrpc_rpcs_total{method,code} and of asyncgrpc_rpc_duration_seconds
// (percentiles per method and over all methods, on the bucket bounds all
// methods share), the asyncgrpc_* gauges and process_* metrics at the end, and
// process_cpu_seconds_total's increase as cores. A counter that went down (the
// server restarted) counts from 0. Sets `service` from the `service` label.
// Leaves `url` and `error` alone.
void ComputeServerMetrics(const Exposition& before, const Exposition& after,
                          double window_s, ::loadgen::v1::ServerMetrics* out);

}  // namespace asyncgrpc::loadgen
