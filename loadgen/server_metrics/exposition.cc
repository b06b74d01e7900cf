#include "loadgen/server_metrics/exposition.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace asyncgrpc::loadgen {
namespace {

// Suffixes that make a sample part of a larger family (histogram, summary,
// counter, info). None ends another: a name has at most one of them.
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
  const std::optional<double> value = ParseValue(c.Token());
  if (!value.has_value()) {
    return false;
  }
  sample->value = *value;
  // Optional timestamp, then an optional OpenMetrics exemplar ("# {...} v").
  c.SkipBlanks();
  if (!c.AtEnd() && c.Peek() != '#') {
    if (!ParseValue(c.Token()).has_value()) {
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

}  // namespace

std::optional<double> ParseValue(absl::string_view token) {
  absl::string_view unsigned_part = token;
  const bool negative = absl::ConsumePrefix(&unsigned_part, "-");
  if (!negative) {
    absl::ConsumePrefix(&unsigned_part, "+");
  }
  // SimpleAtod would take a second sign ("--1", "+-1").
  if (unsigned_part.empty() || unsigned_part[0] == '+' ||
      unsigned_part[0] == '-') {
    return std::nullopt;
  }
  const std::string lower = absl::AsciiStrToLower(unsigned_part);
  if (lower == "inf" || lower == "infinity") {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (lower == "nan") {
    return std::numeric_limits<double>::quiet_NaN();
  }
  // SimpleAtod also reads "nan(...)" and the like, which the formats do not.
  double value = 0;
  if (!absl::SimpleAtod(unsigned_part, &value) || std::isnan(value)) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

absl::string_view FamilySuffix(absl::string_view sample_name) {
  for (absl::string_view suffix : kFamilySuffixes) {
    if (absl::EndsWith(sample_name, suffix)) {
      return suffix;
    }
  }
  return "";
}

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
  // No name ends with two of the suffixes, so the family is the name without
  // the one it has.
  const absl::string_view suffix = FamilySuffix(sample_name);
  if (!suffix.empty()) {
    const absl::string_view family =
        sample_name.substr(0, sample_name.size() - suffix.size());
    if (const auto it = types.find(std::string(family)); it != types.end()) {
      return it->second;
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

}  // namespace asyncgrpc::loadgen
