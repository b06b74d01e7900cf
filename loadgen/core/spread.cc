#include "loadgen/core/spread.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

// The summary's points, named alike in Summary and Spread.
constexpr const char* kPoints[] = {"slowdown_at", "errors_at", "saturation_at",
                                   "max_rps", "capacity"};

// The point in one run's summary, if detected (max_rps: if above 0).
std::optional<double> PointIn(const pb::Summary& summary, const char* name) {
  const auto* field = summary.GetDescriptor()->FindFieldByName(name);
  const auto* reflection = summary.GetReflection();
  const double value = reflection->GetDouble(summary, field);
  const bool detected =
      field->has_presence() ? reflection->HasField(summary, field) : value > 0;
  return detected ? std::optional<double>(value) : std::nullopt;
}

const pb::SpreadPoint& PointIn(const pb::Spread& spread, const char* name) {
  return static_cast<const pb::SpreadPoint&>(spread.GetReflection()->GetMessage(
      spread, spread.GetDescriptor()->FindFieldByName(name)));
}

pb::SpreadPoint* MutablePointIn(pb::Spread& spread, const char* name) {
  return static_cast<pb::SpreadPoint*>(spread.GetReflection()->MutableMessage(
      &spread, spread.GetDescriptor()->FindFieldByName(name)));
}

std::string Range(const pb::SpreadPoint& p) {
  return absl::StrFormat("median %.6g, range %.6g-%.6g", p.median(), p.min(),
                         p.max());
}

pb::PointComparison Compare(const char* point, const pb::TargetResult& a,
                            const pb::TargetResult& b) {
  const pb::Spread& sa = a.summary().spread();
  const pb::Spread& sb = b.summary().spread();
  const pb::SpreadPoint& pa = PointIn(sa, point);
  const pb::SpreadPoint& pb_ = PointIn(sb, point);
  pb::PointComparison out;
  out.set_point(point);
  out.set_a(a.name());
  out.set_b(b.name());
  const std::string head =
      absl::StrFormat("%s: %s vs %s", point, a.name(), b.name());
  const int runs = std::min(sa.runs(), sb.runs());
  if (runs < kRunsToCompare) {
    out.set_verdict("no claim");
    out.set_text(absl::StrFormat(
        "%s: %d run(s) each; with fewer than %d no difference can be claimed",
        head, runs, kRunsToCompare));
  } else if (pa.detected() < sa.runs() || pb_.detected() < sb.runs()) {
    out.set_verdict("no claim");
    out.set_text(absl::StrFormat(
        "%s: detected in %d of %d runs of %s and %d of %d of %s; no claim",
        head, pa.detected(), sa.runs(), a.name(), pb_.detected(), sb.runs(),
        b.name()));
  } else {
    const bool separate = pa.max() < pb_.min() || pb_.max() < pa.min();
    out.set_verdict(separate ? "differ" : "same within spread");
    out.set_text(absl::StrFormat(
        "%s: %s (%s) vs (%s)", head,
        separate ? "differ, ranges separate" : "same within spread", Range(pa),
        Range(pb_)));
  }
  return out;
}

}  // namespace

pb::SpreadPoint SpreadOfValues(const std::vector<double>& values) {
  pb::SpreadPoint point;
  point.set_detected(static_cast<int32_t>(values.size()));
  if (values.empty()) {
    return point;
  }
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  point.set_median(n % 2 == 1 ? sorted[n / 2]
                              : (sorted[n / 2 - 1] + sorted[n / 2]) / 2);
  point.set_min(sorted.front());
  point.set_max(sorted.back());
  return point;
}

pb::Spread SpreadOf(
    const google::protobuf::RepeatedPtrField<pb::TargetResult>& runs) {
  pb::Spread spread;
  spread.set_runs(runs.size());
  for (const char* point : kPoints) {
    std::vector<double> values;
    for (const pb::TargetResult& run : runs) {
      if (std::optional<double> value = PointIn(run.summary(), point)) {
        values.push_back(*value);
      }
    }
    *MutablePointIn(spread, point) = SpreadOfValues(values);
  }
  return spread;
}

void ComparePoints(pb::Results& results) {
  results.clear_comparisons();
  const auto& targets = results.targets();
  for (int i = 0; i < targets.size(); ++i) {
    for (int j = i + 1; j < targets.size(); ++j) {
      for (const char* point : kPoints) {
        if (PointIn(targets[i].summary().spread(), point).detected() == 0 &&
            PointIn(targets[j].summary().spread(), point).detected() == 0) {
          continue;
        }
        *results.add_comparisons() = Compare(point, targets[i], targets[j]);
      }
    }
  }
}

}  // namespace asyncgrpc::loadgen
