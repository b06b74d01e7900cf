#include "loadgen/server_metrics/step_metrics.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

constexpr absl::string_view kRpcs = "asyncgrpc_rpcs_total";
constexpr absl::string_view kDurationBucket =
    "asyncgrpc_rpc_duration_seconds_bucket";
constexpr absl::string_view kDurationSum = "asyncgrpc_rpc_duration_seconds_sum";
constexpr absl::string_view kDurationCount =
    "asyncgrpc_rpc_duration_seconds_count";
constexpr absl::string_view kProcessCpu = "process_cpu_seconds_total";

// The calls loadgen makes: rps, the by-code totals and the overall latency
// leave out health checks (Kubernetes probes) and reflection, which the
// services count under their own method labels.
bool IsItemServiceMethod(const std::string& method) {
  return method == "GetItem" || method == "ListItems";
}

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// name{a="1",b="2"} without the `service` label: the same series whichever
// service exposes it, and how a gauge is named in ServerMetrics.gauges.
std::string SeriesKey(const Sample& s) {
  std::string labels;
  for (const auto& [name, value] : s.labels) {
    if (name == "service") {
      continue;
    }
    absl::StrAppend(&labels, labels.empty() ? "" : ",", name, "=\"",
                    EscapeLabelValue(value), "\"");
  }
  return labels.empty() ? s.name : absl::StrCat(s.name, "{", labels, "}");
}

// The increase of every sample of `before`/`after` over the window, by
// SeriesKey; a counter that went down restarted from 0.
class Increases {
 public:
  explicit Increases(const Exposition& before) {
    for (const Sample& s : before.samples) {
      if (!std::isnan(s.value)) {
        before_[SeriesKey(s)] = s.value;
      }
    }
  }

  // nullopt for NaN and negative values (no counter or bucket goes below 0).
  std::optional<double> Of(const Sample& after) const {
    if (std::isnan(after.value) || after.value < 0) {
      return std::nullopt;
    }
    const auto it = before_.find(SeriesKey(after));
    if (it == before_.end() || after.value < it->second) {
      return after.value;
    }
    return after.value - it->second;
  }

 private:
  std::map<std::string, double> before_;
};

// asyncgrpc_rpc_duration_seconds' increases over the window, by method.
struct Durations {
  // method -> le -> cumulative count.
  std::map<std::string, std::map<double, double>> buckets;
  std::map<std::string, double> sums;
  std::map<std::string, double> counts;

  double SumOf(const std::string& method) const {
    const auto it = sums.find(method);
    return it == sums.end() ? 0.0 : it->second;
  }
  // From _count, or the +Inf (last) bucket's when there is no _count.
  double CountOf(const std::string& method) const {
    if (const auto it = counts.find(method); it != counts.end()) {
      return it->second;
    }
    const auto by_le = buckets.find(method);
    return by_le == buckets.end() || by_le->second.empty()
               ? 0.0
               : by_le->second.rbegin()->second;
  }
};

// Adds `s`'s increase to the call counts (`rpcs`: the item service's calls),
// the duration histogram or the CPU cores, when it is one of those counters.
void AddIncrease(const Sample& s, const Increases& increases, double window_s,
                 double* rpcs, Durations* durations, pb::ServerMetrics* out) {
  const std::optional<double> d = increases.Of(s);
  if (!d.has_value()) {
    return;
  }
  const std::string& method = s.Label("method");
  if (s.name == kRpcs) {
    if (*d > 0) {
      const std::string& code = s.Label("code");
      (*out->mutable_rpcs_by_method_code())[absl::StrCat(method, " ", code)] +=
          *d;
      if (IsItemServiceMethod(method)) {
        (*out->mutable_rpcs_by_code())[code] += *d;
        *rpcs += *d;
      }
    }
  } else if (s.name == kDurationBucket) {
    const std::optional<double> le = ParseValue(s.Label("le"));
    if (le.has_value() && !std::isnan(*le)) {
      durations->buckets[method][*le] += *d;
    }
  } else if (s.name == kDurationSum) {
    durations->sums[method] += *d;
  } else if (s.name == kDurationCount) {
    durations->counts[method] += *d;
  } else if (s.name == kProcessCpu && window_s > 0) {
    out->set_process_cpu_cores(*d / window_s);
  }
}

// A gauge is a value at the window's end, not an increase: a declared gauge,
// or an undeclared sample whose name does not say counter or histogram.
void AddGauge(const Exposition& after, const Sample& s,
              pb::ServerMetrics* out) {
  if (!absl::StartsWith(s.name, "asyncgrpc_") &&
      !absl::StartsWith(s.name, "process_")) {
    return;
  }
  const std::string type = after.TypeOf(s.name);
  const absl::string_view suffix = FamilySuffix(s.name);
  const bool counter_or_histogram = !suffix.empty() && suffix != "_info";
  if (type == "gauge" ||
      ((type == "untyped" || type == "unknown") && !counter_or_histogram)) {
    (*out->mutable_gauges())[SeriesKey(s)] = s.value;
  }
}

// One pass over the window end's samples: the service's name, the counters'
// increases (rps included) and the gauges into `out`; the duration
// histogram's increases, which need every bucket first, returned.
Durations AccumulateIncreases(const Exposition& before, const Exposition& after,
                              double window_s, pb::ServerMetrics* out) {
  const Increases increases(before);
  double rpcs = 0;
  Durations durations;
  for (const Sample& s : after.samples) {
    if (out->service().empty() && absl::StartsWith(s.name, "asyncgrpc_") &&
        !s.Label("service").empty()) {
      out->set_service(s.Label("service"));
    }
    AddIncrease(s, increases, window_s, &rpcs, &durations, out);
    AddGauge(after, s, out);
  }
  out->set_rps(window_s > 0 ? rpcs / window_s : 0.0);
  return durations;
}

void FillServerLatency(const std::vector<Bucket>& buckets, double sum,
                       double count, pb::ServerLatency* out) {
  out->set_count(count);
  auto ms = [&](double q) {
    const std::optional<double> seconds = BucketQuantile(buckets, q);
    return seconds.has_value() ? *seconds * 1000 : 0.0;
  };
  out->set_p50_ms(ms(0.5));
  out->set_p95_ms(ms(0.95));
  out->set_p99_ms(ms(0.99));
  out->set_mean_ms(count > 0 ? sum / count * 1000 : 0.0);
}

void FillMethodLatencies(const Durations& durations, pb::ServerMetrics* out) {
  for (const auto& [method, by_le] : durations.buckets) {
    const double count = durations.CountOf(method);
    if (!(count > 0)) {  // NaN too (+Inf at both scrapes).
      continue;
    }
    std::vector<Bucket> list;
    for (const auto& [le, c] : by_le) {
      list.push_back({le, c});
    }
    FillServerLatency(list, durations.SumOf(method), count,
                      &(*out->mutable_latency_by_method())[method]);
  }
}

// Over the item service's methods: their buckets added up on the bounds every
// one of them has (a bound only some have would hold only their calls).
void FillOverallLatency(const Durations& durations, pb::ServerMetrics* out) {
  std::optional<std::set<double>> common;
  std::map<double, double> overall;
  double sum = 0;
  double count = 0;
  for (const auto& [method, by_le] : durations.buckets) {
    if (!IsItemServiceMethod(method)) {
      continue;
    }
    sum += durations.SumOf(method);
    count += durations.CountOf(method);
    std::set<double> bounds;
    for (const auto& [le, c] : by_le) {
      bounds.insert(le);
      overall[le] += c;
    }
    if (!common.has_value()) {
      common = std::move(bounds);
      continue;
    }
    std::set<double> both;
    std::set_intersection(common->begin(), common->end(), bounds.begin(),
                          bounds.end(), std::inserter(both, both.begin()));
    common = std::move(both);
  }
  if (!(count > 0) || !common.has_value() || common->empty()) {
    return;
  }
  std::vector<Bucket> list;
  for (double le : *common) {
    list.push_back({le, overall[le]});
  }
  FillServerLatency(list, sum, count, out->mutable_latency());
}

}  // namespace

void ComputeServerMetrics(const Exposition& before, const Exposition& after,
                          double window_s, pb::ServerMetrics* out) {
  out->set_window_s(window_s);
  const Durations durations = AccumulateIncreases(before, after, window_s, out);
  FillMethodLatencies(durations, out);
  FillOverallLatency(durations, out);
}

}  // namespace asyncgrpc::loadgen
