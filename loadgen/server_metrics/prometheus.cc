#include "loadgen/server_metrics/prometheus.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

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

// Suffixes that make a sample part of a larger family (histogram, summary,
// counter, info), longest first where one ends another.
constexpr absl::string_view kFamilySuffixes[] = {
    "_bucket", "_gcount", "_gsum",    "_count",
    "_sum",    "_total",  "_created", "_info"};

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

bool IsNameStart(char c) {
  return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         c == ':';
}

bool IsNameChar(char c) {
  return IsNameStart(c) || absl::ascii_isdigit(static_cast<unsigned char>(c));
}

// Go's strconv.ParseFloat forms the formats use: decimal, exponent, NaN,
// [+-]Inf (any case).
bool ParseValue(absl::string_view token, double* value) {
  absl::string_view unsigned_part = token;
  const bool negative = absl::ConsumePrefix(&unsigned_part, "-");
  if (!negative) {
    absl::ConsumePrefix(&unsigned_part, "+");
  }
  if (unsigned_part.empty() || unsigned_part[0] == '+' ||
      unsigned_part[0] == '-') {
    return false;
  }
  const std::string lower = absl::AsciiStrToLower(unsigned_part);
  if (lower == "inf" || lower == "infinity") {
    *value = negative ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
    return true;
  }
  if (lower == "nan") {
    *value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (!absl::SimpleAtod(unsigned_part, value) || std::isnan(*value)) {
    return false;
  }
  if (negative) {
    *value = -*value;
  }
  return true;
}

// A cursor over one line.
class Cursor {
 public:
  explicit Cursor(absl::string_view line) : s_(line) {}

  bool AtEnd() const { return i_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[i_]; }
  bool Consume(char c) {
    if (Peek() != c || AtEnd()) {
      return false;
    }
    ++i_;
    return true;
  }
  // True when at least one blank was skipped.
  bool SkipBlanks() {
    const size_t from = i_;
    while (!AtEnd() && IsBlank(s_[i_])) {
      ++i_;
    }
    return i_ > from;
  }
  absl::string_view Rest() const { return s_.substr(std::min(i_, s_.size())); }

  // [a-zA-Z_:][a-zA-Z0-9_:]*
  bool Name(std::string* out) {
    if (AtEnd() || !IsNameStart(s_[i_])) {
      return false;
    }
    const size_t from = i_;
    while (!AtEnd() && IsNameChar(s_[i_])) {
      ++i_;
    }
    *out = std::string(s_.substr(from, i_ - from));
    return true;
  }

  // "..." with the escapes \\, \" and \n (any other backslash pair is kept
  // as it is, as Prometheus does).
  bool Quoted(std::string* out) {
    if (!Consume('"')) {
      return false;
    }
    out->clear();
    while (!AtEnd()) {
      const char c = s_[i_++];
      if (c == '"') {
        return true;
      }
      if (c == '\\' && !AtEnd()) {
        const char e = s_[i_++];
        if (e == 'n') {
          out->push_back('\n');
        } else if (e == '\\' || e == '"') {
          out->push_back(e);
        } else {
          out->push_back('\\');
          out->push_back(e);
        }
        continue;
      }
      out->push_back(c);
    }
    return false;
  }

  // A token up to the next blank.
  absl::string_view Token() {
    const size_t from = i_;
    while (!AtEnd() && !IsBlank(s_[i_])) {
      ++i_;
    }
    return s_.substr(from, i_ - from);
  }

 private:
  absl::string_view s_;
  size_t i_ = 0;
};

// Parses `{name="value", ...}` (the cursor is on the '{'). A bare quoted
// string among them is the metric name (UTF-8 names: {"my.metric", a="b"}).
bool ParseLabels(Cursor& c, Sample* sample) {
  if (!c.Consume('{')) {
    return false;
  }
  std::map<std::string, std::string> labels;
  while (true) {
    c.SkipBlanks();
    if (c.Consume('}')) {
      break;
    }
    std::string name;
    const bool quoted = c.Peek() == '"';
    if (quoted ? !c.Quoted(&name) : !c.Name(&name)) {
      return false;
    }
    c.SkipBlanks();
    if (quoted && (c.Peek() == ',' || c.Peek() == '}')) {
      if (!sample->name.empty()) {
        return false;  // Two names.
      }
      sample->name = name;
    } else {
      if (!c.Consume('=')) {
        return false;
      }
      c.SkipBlanks();
      std::string value;
      if (!c.Quoted(&value)) {
        return false;
      }
      labels[name] = value;
      c.SkipBlanks();
    }
    if (c.Consume(',')) {
      continue;
    }
    if (c.Consume('}')) {
      break;
    }
    return false;
  }
  sample->labels.assign(labels.begin(), labels.end());
  return true;
}

bool ParseSampleLine(absl::string_view line, Sample* sample) {
  Cursor c(line);
  c.SkipBlanks();
  if (c.Peek() != '{' && !c.Name(&sample->name)) {
    return false;
  }
  c.SkipBlanks();
  if (c.Peek() == '{' && !ParseLabels(c, sample)) {
    return false;
  }
  if (sample->name.empty()) {
    return false;
  }
  c.SkipBlanks();
  if (!ParseValue(c.Token(), &sample->value)) {
    return false;
  }
  // Optional timestamp, then an optional OpenMetrics exemplar ("# {...} v").
  c.SkipBlanks();
  if (!c.AtEnd() && c.Peek() != '#') {
    double timestamp = 0;
    if (!ParseValue(c.Token(), &timestamp)) {
      return false;
    }
    c.SkipBlanks();
  }
  return c.AtEnd() || c.Peek() == '#';
}

// "# TYPE name type" (name bare or quoted).
void ParseComment(absl::string_view line, Exposition* out) {
  Cursor c(line);
  c.Consume('#');
  c.SkipBlanks();
  if (c.Token() != "TYPE") {
    return;
  }
  c.SkipBlanks();
  std::string name;
  if (c.Peek() == '"' ? !c.Quoted(&name) : !c.Name(&name)) {
    return;
  }
  c.SkipBlanks();
  const absl::string_view type = c.Token();
  if (!type.empty()) {
    out->types[name] = absl::AsciiStrToLower(type);
  }
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

// name{a="1",b="2"} without the `service` label (and without `skip`).
std::string SeriesKey(const Sample& s, absl::string_view skip = "") {
  std::string labels;
  for (const auto& [name, value] : s.labels) {
    if (name == "service" || name == skip) {
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

bool LooksLikeCounterOrHistogram(absl::string_view name) {
  for (absl::string_view suffix : kFamilySuffixes) {
    if (absl::EndsWith(name, suffix) && suffix != "_info") {
      return true;
    }
  }
  return false;
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

}  // namespace

const std::string& Sample::Label(absl::string_view name) const {
  static const std::string* const kEmpty = new std::string;
  for (const auto& [key, value] : labels) {
    if (key == name) {
      return value;
    }
  }
  return *kEmpty;
}

std::string Exposition::TypeOf(absl::string_view sample_name) const {
  if (const auto it = types.find(std::string(sample_name)); it != types.end()) {
    return it->second;
  }
  for (absl::string_view suffix : kFamilySuffixes) {
    absl::string_view family = sample_name;
    if (absl::ConsumeSuffix(&family, suffix)) {
      if (const auto it = types.find(std::string(family)); it != types.end()) {
        return it->second;
      }
    }
  }
  return "untyped";
}

absl::StatusOr<Exposition> ParseExposition(absl::string_view text) {
  Exposition out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::ConsumeSuffix(&line, "\r");
    line = absl::StripLeadingAsciiWhitespace(line);
    if (line.empty()) {
      continue;
    }
    if (line[0] == '#') {
      ParseComment(line, &out);
      continue;
    }
    Sample sample;
    if (ParseSampleLine(line, &sample)) {
      out.samples.push_back(std::move(sample));
    } else {
      ++out.bad_lines;
    }
  }
  if (out.samples.empty() && out.bad_lines > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("not Prometheus text: none of its ", out.bad_lines,
                     " non-comment line(s) is a sample"));
  }
  return out;
}

std::optional<double> BucketQuantile(const std::vector<Bucket>& buckets,
                                     double q) {
  if (buckets.empty() || !(q > 0 && q < 1)) {
    return std::nullopt;
  }
  // Counts taken as increases between two scrapes may be a hair out of order:
  // make them cumulative again, as PromQL does.
  std::vector<Bucket> b = buckets;
  for (size_t i = 1; i < b.size(); ++i) {
    b[i].count = std::max(b[i].count, b[i - 1].count);
  }
  const double total = b.back().count;
  if (!(total > 0)) {
    return std::nullopt;
  }
  const double rank = q * total;
  size_t i = 0;
  while (i + 1 < b.size() && b[i].count < rank) {
    ++i;
  }
  if (std::isinf(b[i].le)) {
    // In the +Inf bucket: the highest finite bound is all that is known.
    return i > 0 ? std::optional<double>(b[i - 1].le) : std::nullopt;
  }
  const double lower = i > 0 ? b[i - 1].le : std::min(0.0, b[i].le);
  const double below = i > 0 ? b[i - 1].count : 0.0;
  const double in_bucket = b[i].count - below;
  if (!(in_bucket > 0)) {
    return b[i].le;
  }
  return lower + (b[i].le - lower) * (rank - below) / in_bucket;
}

namespace {

// The calls loadgen makes: rps, the by-code totals and the overall latency
// leave out health checks (Kubernetes probes) and reflection, which the
// services count under their own method labels.
bool IsItemServiceMethod(const std::string& method) {
  return method == "GetItem" || method == "ListItems";
}

}  // namespace

void ComputeServerMetrics(const Exposition& before, const Exposition& after,
                          double window_s, pb::ServerMetrics* out) {
  out->set_window_s(window_s);
  const Increases increases(before);
  double rpcs = 0;
  // method -> le -> cumulative count; method -> sum / count.
  std::map<std::string, std::map<double, double>> buckets;
  std::map<std::string, double> sums;
  std::map<std::string, double> counts;
  for (const Sample& s : after.samples) {
    if (out->service().empty() && absl::StartsWith(s.name, "asyncgrpc_") &&
        !s.Label("service").empty()) {
      out->set_service(s.Label("service"));
    }
    if (s.name == kRpcs) {
      const std::optional<double> d = increases.Of(s);
      if (d.has_value() && *d > 0) {
        const std::string& code = s.Label("code");
        (*out->mutable_rpcs_by_method_code())[absl::StrCat(s.Label("method"),
                                                           " ", code)] += *d;
        if (IsItemServiceMethod(s.Label("method"))) {
          (*out->mutable_rpcs_by_code())[code] += *d;
          rpcs += *d;
        }
      }
    } else if (s.name == kDurationBucket) {
      double le = 0;
      const std::optional<double> d = increases.Of(s);
      if (d.has_value() && ParseValue(s.Label("le"), &le) && !std::isnan(le)) {
        buckets[s.Label("method")][le] += *d;
      }
    } else if (s.name == kDurationSum || s.name == kDurationCount) {
      const std::optional<double> d = increases.Of(s);
      if (d.has_value()) {
        (s.name == kDurationSum ? sums : counts)[s.Label("method")] += *d;
      }
    } else if (s.name == kProcessCpu) {
      const std::optional<double> d = increases.Of(s);
      if (d.has_value() && window_s > 0) {
        out->set_process_cpu_cores(*d / window_s);
      }
    }
    if (absl::StartsWith(s.name, "asyncgrpc_") ||
        absl::StartsWith(s.name, "process_")) {
      const std::string type = after.TypeOf(s.name);
      if (type == "gauge" || ((type == "untyped" || type == "unknown") &&
                              !LooksLikeCounterOrHistogram(s.name))) {
        (*out->mutable_gauges())[SeriesKey(s)] = s.value;
      }
    }
  }
  out->set_rps(window_s > 0 ? rpcs / window_s : 0.0);

  // Per method, then over all methods on the bounds every method has.
  std::set<double> common;
  bool first = true;
  std::map<double, double> overall;
  double overall_sum = 0;
  double overall_count = 0;
  for (const auto& [method, by_le] : buckets) {
    std::vector<Bucket> list;
    std::set<double> bounds;
    for (const auto& [le, count] : by_le) {
      list.push_back({le, count});
      bounds.insert(le);
    }
    const double count = counts.count(method)
                             ? counts[method]
                             : (list.empty() ? 0.0 : list.back().count);
    if (count > 0) {
      FillServerLatency(list, sums[method], count,
                        &(*out->mutable_latency_by_method())[method]);
    }
    if (!IsItemServiceMethod(method)) {
      continue;
    }
    overall_sum += sums[method];
    overall_count += count;
    if (first) {
      common = bounds;
      first = false;
    } else {
      std::set<double> both;
      std::set_intersection(common.begin(), common.end(), bounds.begin(),
                            bounds.end(), std::inserter(both, both.begin()));
      common = std::move(both);
    }
    for (const auto& [le, c] : by_le) {
      overall[le] += c;
    }
  }
  if (overall_count > 0 && !common.empty()) {
    std::vector<Bucket> list;
    for (double le : common) {
      list.push_back({le, overall[le]});
    }
    FillServerLatency(list, overall_sum, overall_count, out->mutable_latency());
  }
}

}  // namespace asyncgrpc::loadgen
