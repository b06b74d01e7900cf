// libFuzzer target for the results-parsing paths (`loadgen report DIR`,
// `loadgen merge`, --metrics_url): the bytes, as JSON, into a
// loadgen.v1.Results (with report_html.cc's options; unparsable inputs are
// skipped), then every step's histogram through Histogram::FromProto, and the
// Results merged as a run of one shard; the bytes are also taken as a
// binary-serialized loadgen.v1.Histogram, as a log holding --print_results
// blocks and as Prometheus exposition text. A histogram that is accepted must
// round-trip through ToProto/FromProto and report percentiles within
// [min, max], p0 = min, p100 = max, non-decreasing in the percentile; a merge
// that succeeds must keep every count. The HTML is not rendered: it inlines
// Chart.js and would make every input slow.
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "loadgen/core/histogram.h"
#include "loadgen/distributed/framing.h"
#include "loadgen/distributed/merge.h"
#include "loadgen/results.pb.h"
#include "loadgen/server_metrics/exposition.h"
#include "loadgen/server_metrics/step_metrics.h"

namespace asyncgrpc::loadgen {
namespace {

void Check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void CheckHistogram(const ::loadgen::v1::Histogram& proto) {
  absl::StatusOr<Histogram> h = Histogram::FromProto(proto);
  if (!h.ok()) {
    Check(h.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  Check(h->count() == proto.total());
  Check(h->min() == proto.min_us() && h->max() == proto.max_us());
  Check(h->min() <= h->max());

  ::loadgen::v1::Histogram again;
  h->ToProto(&again);
  absl::StatusOr<Histogram> back = Histogram::FromProto(again);
  Check(back.ok() && *back == *h);

  Histogram merged;
  merged.Merge(*h);
  Check(merged == *h);

  if (h->count() == 0) {
    Check(h->ValueAtPercentile(50) == 0 && h->Mean() == 0);
    return;
  }
  Check(h->ValueAtPercentile(0) == h->min());
  Check(h->ValueAtPercentile(100) == h->max());
  int64_t previous = h->min();
  for (int p = 0; p <= 100; ++p) {
    const int64_t value = h->ValueAtPercentile(p);
    Check(value >= h->min() && value <= h->max());
    Check(value >= previous);
    previous = value;
  }
  for (double p : {0.1, 99.9, 99.99}) {
    const int64_t value = h->ValueAtPercentile(p);
    Check(value >= h->min() && value <= h->max());
  }
  // A weighted mean of values clamped to [min, max]; allow for rounding.
  const double mean = h->Mean();
  Check(mean >= static_cast<double>(h->min()) * (1 - 1e-9) &&
        mean <= static_cast<double>(h->max()) * (1 + 1e-9));
}

void FuzzResultsJson(const uint8_t* data, size_t size) {
  const std::string json(reinterpret_cast<const char*>(data), size);
  ::loadgen::v1::Results results;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (!google::protobuf::util::JsonStringToMessage(json, &results, options)
           .ok()) {
    return;
  }
  for (const ::loadgen::v1::TargetResult& target : results.targets()) {
    for (const ::loadgen::v1::Step& step : target.steps()) {
      CheckHistogram(step.histogram());
    }
  }
  // The results as the only shard of a run.
  absl::StatusOr<::loadgen::v1::Results> merged =
      MergeShards({{.source = "fuzz", .results = results}}, "merge");
  if (!merged.ok()) {
    Check(merged.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  Check(merged->targets_size() == results.targets_size());
  for (int t = 0; t < merged->targets_size(); ++t) {
    const auto& out = merged->targets(t);
    Check(out.steps_size() <= results.targets(t).steps_size());
    for (int k = 0; k < out.steps_size(); ++k) {
      Check(out.steps(k).requests() == results.targets(t).steps(k).requests());
      Check(out.steps(k).histogram().total() == out.steps(k).requests());
    }
  }
}

void FuzzLog(absl::string_view text) {
  absl::StatusOr<std::vector<ResultsBlock>> blocks = FindResultsBlocks(text);
  if (!blocks.ok()) {
    Check(blocks.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  int line = 0;
  for (const ResultsBlock& block : *blocks) {
    Check(block.line > line);
    line = block.line;
    Check(block.json.find('\n') == std::string::npos);
  }
}

void FuzzExposition(absl::string_view text) {
  absl::StatusOr<Exposition> exposition = ParseExposition(text);
  if (!exposition.ok()) {
    Check(exposition.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  for (const Sample& sample : exposition->samples) {
    Check(!sample.name.empty());
  }
  // The text as both scrapes of a window (a series repeated in the text may
  // look like a counter reset, so increases are only known to be >= 0).
  ::loadgen::v1::ServerMetrics metrics;
  ComputeServerMetrics(*exposition, *exposition, 1.0, &metrics);
  for (const auto& [code, count] : metrics.rpcs_by_code()) {
    Check(count >= 0);
  }
  Check(!(metrics.rps() < 0));
}

void FuzzHistogramBinary(const uint8_t* data, size_t size) {
  ::loadgen::v1::Histogram proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size))) {
    return;
  }
  CheckHistogram(proto);
}

}  // namespace
}  // namespace asyncgrpc::loadgen

// Protobuf logs every string field with invalid UTF-8 it parses: silence it,
// the fuzzer feeds such inputs all the time.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  asyncgrpc::loadgen::FuzzResultsJson(data, size);
  asyncgrpc::loadgen::FuzzHistogramBinary(data, size);
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  asyncgrpc::loadgen::FuzzLog(text);
  asyncgrpc::loadgen::FuzzExposition(text);
  return 0;
}
