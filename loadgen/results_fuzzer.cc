// libFuzzer target for the results-parsing path (`loadgen report DIR`): the
// bytes, as JSON, into a loadgen.v1.Results (with report_html.cc's options;
// unparsable inputs are skipped), then every step's histogram through
// Histogram::FromProto; the bytes are also taken as a binary-serialized
// loadgen.v1.Histogram. A histogram that is accepted must round-trip through
// ToProto/FromProto and report percentiles within [min, max], p0 = min,
// p100 = max, non-decreasing in the percentile. The HTML is not rendered: it
// inlines Chart.js and would make every input slow.
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "loadgen/histogram.h"
#include "loadgen/results.pb.h"

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
  return 0;
}
