#include "loadgen/distributed/merge.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "loadgen/core/config.h"
#include "loadgen/core/histogram.h"
#include "loadgen/core/summary.h"
#include "loadgen/report/outputs.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// A leading RFC 3339 timestamp and the blank after it, as `kubectl logs
// --timestamps` and most log collectors write them.
absl::string_view StripTimestamp(absl::string_view line) {
  if (line.empty() ||
      !absl::ascii_isdigit(static_cast<unsigned char>(line[0]))) {
    return line;
  }
  const size_t blank = line.find(' ');
  if (blank == absl::string_view::npos || blank > 40) {
    return line;
  }
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(line.substr(0, blank)),
                       &time, &error)) {
    return line;
  }
  return line.substr(blank + 1);
}

absl::StatusOr<pb::Results> ParseResultsJson(const std::string& json,
                                             absl::string_view source) {
  pb::Results results;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status =
      google::protobuf::util::JsonStringToMessage(json, &results, options);
  if (!status.ok()) {
    return Invalid(absl::StrCat(
        source,
        ": not the JSON of loadgen.v1.Results: ", status.message().ToString()));
  }
  return results;
}

int ShardCountOf(const pb::Config& config) {
  return config.shard_count() == 0 ? 1 : config.shard_count();
}

std::string TargetsOf(const pb::Config& config) {
  std::vector<std::string> targets;
  for (const pb::TargetSpec& t : config.targets()) {
    targets.push_back(absl::StrCat(t.name(), "=", t.address()));
  }
  return absl::StrJoin(targets, ",");
}

// What must be equal for two results to be shards of one run: the field's
// name and its value.
std::vector<std::pair<std::string, std::string>> RunIdentity(
    const pb::Results& results) {
  const pb::Config& c = results.config();
  std::vector<std::string> names;
  for (const pb::TargetResult& t : results.targets()) {
    names.push_back(t.name());
  }
  return {
      {"targets", TargetsOf(c)},
      {"mode", c.mode()},
      {"ramp",
       absl::StrCat(c.ramp_start(), ":", c.ramp_end(), ":", c.ramp_step())},
      {"step_duration_s", absl::StrCat(c.step_duration_s())},
      {"warmup_s", absl::StrCat(c.warmup_s())},
      {"scenario", c.scenario()},
      {"think_time_s", absl::StrCat(c.think_time_s())},
      {"spawn_rate", absl::StrCat(c.spawn_rate())},
      {"deadline_s", absl::StrCat(c.deadline_s())},
      {"seed", absl::StrCat(c.seed())},
      {"slowdown_factor", absl::StrCat(c.slowdown_factor())},
      {"error_threshold", absl::StrCat(c.error_threshold())},
      {"start_at", c.start_at().empty() ? "(none)" : c.start_at()},
      {"target results",
       absl::StrCat(names.size(), ": ", absl::StrJoin(names, ","))},
  };
}

absl::Status CheckShardsOfOneRun(const std::vector<MergeInput>& inputs) {
  const int n = static_cast<int>(inputs.size());
  std::map<int, const MergeInput*> by_index;
  const auto identity = RunIdentity(inputs[0].results);
  for (const MergeInput& input : inputs) {
    const pb::Config& c = input.results.config();
    if (c.merged()) {
      return Invalid(absl::StrCat(
          "merge: ", input.source,
          " is already a merged run; merge the shards themselves"));
    }
    const int count = ShardCountOf(c);
    if (count != n) {
      return Invalid(
          absl::StrCat("merge: ", input.source, " is shard ", c.shard_index(),
                       " of ", count, " (shard_count ", count, ") but ", n,
                       " input", n == 1 ? " was" : "s were",
                       " given: give every shard of the run, each once"));
    }
    if (c.shard_index() < 0 || c.shard_index() >= count) {
      return Invalid(absl::StrCat("merge: ", input.source, " has shard_index ",
                                  c.shard_index(), " outside [0, ", count,
                                  ")"));
    }
    const auto [it, inserted] = by_index.emplace(c.shard_index(), &input);
    if (!inserted) {
      return Invalid(absl::StrCat("merge: ", it->second->source, " and ",
                                  input.source, " are both shard_index ",
                                  c.shard_index(), " of ", count));
    }
    const auto mine = RunIdentity(input.results);
    for (size_t i = 0; i < identity.size(); ++i) {
      if (mine[i].second != identity[i].second) {
        return Invalid(absl::StrCat(
            "merge: ", input.source, " is not a shard of the same run as ",
            inputs[0].source, ": ", identity[i].first, " differs (\"",
            mine[i].second, "\" vs \"", identity[i].second, "\")"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Histogram> HistogramOf(const pb::Histogram& proto,
                                      absl::string_view where) {
  absl::StatusOr<Histogram> h = Histogram::FromProto(proto);
  if (!h.ok()) {
    return Invalid(absl::StrCat("merge: ", where, ": ", h.status().message()));
  }
  return h;
}

// The merged load of step `index`: the whole run's ramp level, which the
// shards' shares must add up to.
absl::StatusOr<double> MergedLoad(const pb::Config& config, int index,
                                  double sum, absl::string_view where) {
  const Ramp ramp{.start = config.ramp_start(),
                  .end = config.ramp_end(),
                  .step = config.ramp_step()};
  const std::vector<double> levels = ramp.Levels();
  if (index < 0 || index >= static_cast<int>(levels.size())) {
    return Invalid(absl::StrCat("merge: ", where, ": step index ", index,
                                " is not in the ramp"));
  }
  const double level = levels[index];
  if (std::abs(sum - level) > 1e-6 * std::max(1.0, level)) {
    return Invalid(absl::StrCat("merge: ", where,
                                ": the shards' loads add up to ", sum,
                                ", not the ramp's ", level));
  }
  return level;
}

struct MergedTarget {
  pb::TargetResult result;
  std::vector<std::string> notes;
};

absl::StatusOr<MergedTarget> MergeTarget(
    const pb::Config& config, const std::vector<const MergeInput*>& shards,
    int t) {
  const bool open = config.mode() == "open";
  MergedTarget merged;
  pb::TargetResult& out = merged.result;
  const pb::TargetResult& first = shards[0]->results.targets(t);
  out.set_name(first.name());
  out.set_address(first.address());

  int steps = first.steps_size();
  std::vector<int> counts;
  for (const MergeInput* shard : shards) {
    const pb::TargetResult& target = shard->results.targets(t);
    counts.push_back(target.steps_size());
    steps = std::min(steps, target.steps_size());
    if (!target.note().empty()) {
      merged.notes.push_back(absl::StrCat("shard ",
                                          shard->results.config().shard_index(),
                                          ": ", target.note()));
    }
  }
  if (std::adjacent_find(counts.begin(), counts.end(), std::not_equal_to<>()) !=
      counts.end()) {
    merged.notes.push_back(absl::StrCat(
        "the shards ran different numbers of steps (by shard index: ",
        absl::StrJoin(counts, ", "), "): merged the first ", steps,
        ", which all of them ran"));
  }

  bool uncorrected_missing = false;
  for (int k = 0; k < steps; ++k) {
    pb::Step& step = *out.add_steps();
    const pb::Step& s0 = shards[0]->results.targets(t).steps(k);
    step.set_index(s0.index());
    Histogram latency;
    Histogram uncorrected;
    bool have_uncorrected = open;
    double load = 0;
    double duration = 0;
    std::map<std::string, int64_t> errors;
    std::vector<std::string> invalid;
    bool valid = true;
    const pb::Step* metrics_from = nullptr;
    for (const MergeInput* shard : shards) {
      const pb::Step& s = shard->results.targets(t).steps(k);
      const std::string where = absl::StrCat(shard->source, ": target ",
                                             out.name(), " step ", s.index());
      if (s.index() != s0.index()) {
        return Invalid(absl::StrCat("merge: ", where, ": expected step ",
                                    s0.index(), " at position ", k));
      }
      ASSIGN_OR_RETURN(const Histogram h, HistogramOf(s.histogram(), where));
      if (h.count() != s.requests()) {
        return Invalid(absl::StrCat("merge: ", where, ": its histogram holds ",
                                    h.count(), " requests, the step ",
                                    s.requests()));
      }
      latency.Merge(h);
      if (have_uncorrected && s.has_uncorrected_histogram() &&
          s.uncorrected_histogram().total() == s.requests()) {
        ASSIGN_OR_RETURN(const Histogram u,
                         HistogramOf(s.uncorrected_histogram(), where));
        uncorrected.Merge(u);
      } else {
        have_uncorrected = false;
      }
      load += open ? s.rate() : s.users();
      duration += s.duration_s();
      step.set_start_s(shard == shards[0]
                           ? s.start_s()
                           : std::min(step.start_s(), s.start_s()));
      step.set_requests(step.requests() + s.requests());
      step.set_ok(step.ok() + s.ok());
      step.set_rps(step.rps() + s.rps());
      step.set_achieved_rate(step.achieved_rate() + s.achieved_rate());
      step.set_loadgen_cpu_cores(step.loadgen_cpu_cores() +
                                 s.loadgen_cpu_cores());
      for (const auto& [code, count] : s.errors()) {
        errors[code] += count;
      }
      if (!s.valid()) {
        valid = false;
        invalid.push_back(absl::StrCat("shard ",
                                       shard->results.config().shard_index(),
                                       ": ", s.invalid_reason()));
      }
      // The servers' own counters are the same whichever shard read them:
      // take one shard's reading (the first that read them all), never a sum.
      auto all_ok = [](const pb::Step& x) {
        return x.server_metrics_size() > 0 &&
               std::all_of(x.server_metrics().begin(), x.server_metrics().end(),
                           [](const pb::ServerMetrics& m) {
                             return m.error().empty();
                           });
      };
      if (metrics_from == nullptr || (!all_ok(*metrics_from) && all_ok(s))) {
        if (s.server_metrics_size() > 0) {
          metrics_from = &s;
        }
      }
    }
    const std::string where =
        absl::StrCat("target ", out.name(), " step ", s0.index());
    ASSIGN_OR_RETURN(const double level,
                     MergedLoad(config, s0.index(), load, where));
    if (open) {
      step.set_rate(level);
    } else {
      step.set_users(static_cast<int32_t>(std::lround(level)));
    }
    step.set_duration_s(duration / static_cast<double>(shards.size()));
    int64_t failed = 0;
    for (const auto& [code, count] : errors) {
      (*step.mutable_errors())[code] = count;
      failed += count;
    }
    step.set_error_ratio(step.requests() > 0
                             ? static_cast<double>(failed) / step.requests()
                             : 0.0);
    SetStepLatency(latency, &step);
    latency.ToProto(step.mutable_histogram());
    if (have_uncorrected) {
      FillLatency(uncorrected, step.mutable_uncorrected());
      uncorrected.ToProto(step.mutable_uncorrected_histogram());
    } else if (open) {
      uncorrected_missing = true;
    }
    step.set_valid(valid);
    step.set_invalid_reason(absl::StrJoin(invalid, "; "));
    if (metrics_from != nullptr) {
      *step.mutable_server_metrics() = metrics_from->server_metrics();
    }
  }
  if (uncorrected_missing) {
    merged.notes.push_back(
        "uncorrected latency not merged where a shard recorded no "
        "uncorrected histogram");
  }

  // The timelines, second by second from the target's start.
  struct Second {
    int step = 0;
    bool have_step = false;
    double rps = 0;
    double failures = 0;
    Histogram latency;
    bool exact = true;
    // The only point of the second, when a single shard had one: its own
    // percentiles are then exact as they stand.
    const pb::TimelinePoint* sole = nullptr;
    int points = 0;
  };
  std::map<int64_t, Second> seconds;
  for (const MergeInput* shard : shards) {
    for (const pb::TimelinePoint& p : shard->results.targets(t).timeline()) {
      Second& second = seconds[std::llround(p.t_s())];
      if (!second.have_step) {
        second.step = p.step();
        second.have_step = true;
      }
      second.rps += p.rps();
      second.failures += p.failures_per_s();
      second.sole = ++second.points == 1 ? &p : nullptr;
      if (p.has_histogram() && p.histogram().total() == std::llround(p.rps())) {
        ASSIGN_OR_RETURN(
            const Histogram h,
            HistogramOf(p.histogram(),
                        absl::StrCat(shard->source, ": target ", out.name(),
                                     " second ", p.t_s())));
        second.latency.Merge(h);
      } else if (p.rps() > 0) {
        second.exact = false;
      }
    }
  }
  int inexact = 0;
  for (const auto& [t_s, second] : seconds) {
    pb::TimelinePoint* p = out.add_timeline();
    p->set_t_s(static_cast<double>(t_s));
    p->set_step(second.step);
    p->set_rps(second.rps);
    p->set_failures_per_s(second.failures);
    if (second.sole != nullptr) {
      p->set_p50_ms(second.sole->p50_ms());
      p->set_p95_ms(second.sole->p95_ms());
      p->set_p99_ms(second.sole->p99_ms());
    } else if (second.exact) {
      p->set_p50_ms(Ms(second.latency.ValueAtPercentile(50)));
      p->set_p95_ms(Ms(second.latency.ValueAtPercentile(95)));
      p->set_p99_ms(Ms(second.latency.ValueAtPercentile(99)));
    } else {
      ++inexact;
    }
  }
  if (inexact > 0) {
    merged.notes.push_back(absl::StrCat(
        "per-second latency left out for ", inexact,
        " s of the timeline: a shard recorded no per-second histogram there "
        "(percentiles cannot be merged without one); throughput over time is "
        "exact"));
  }
  if (config.start_at().empty() && shards.size() > 1) {
    merged.notes.push_back(
        "the shards had no common --start_at: their timelines are aligned on "
        "each shard's own start");
  }
  Summarize(RulesOf(config), open, &out);
  return merged;
}

}  // namespace

absl::StatusOr<std::string> FrameResults(const pb::Results& results) {
  ASSIGN_OR_RETURN(const std::string json,
                   ResultsToJson(results, /*one_line=*/true));
  return absl::StrCat(kResultsBegin, "\n", json, "\n", kResultsEnd, "\n");
}

absl::StatusOr<std::vector<ResultsBlock>> FindResultsBlocks(
    absl::string_view text) {
  struct Open {
    ResultsBlock block;
    std::string prefix;
  };
  std::vector<Open> open;
  std::vector<ResultsBlock> blocks;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    absl::ConsumeSuffix(&line, "\r");
    line = StripTimestamp(line);
    if (const size_t at = line.find(kResultsBegin);
        at != absl::string_view::npos) {
      const std::string prefix(line.substr(0, at));
      for (const Open& o : open) {
        if (o.prefix == prefix) {
          return Invalid(
              absl::StrCat("line ", number,
                           ": a results block begins before the one begun "
                           "at line ",
                           o.block.line, " ended (cut-off output?)"));
        }
      }
      open.push_back({.block = {.line = number}, .prefix = prefix});
      continue;
    }
    if (const size_t at = line.find(kResultsEnd);
        at != absl::string_view::npos) {
      const absl::string_view prefix = line.substr(0, at);
      const auto it =
          std::find_if(open.begin(), open.end(),
                       [&](const Open& o) { return o.prefix == prefix; });
      if (it == open.end()) {
        return Invalid(absl::StrCat("line ", number,
                                    ": a results block ends that never began"));
      }
      blocks.push_back(std::move(it->block));
      open.erase(it);
      continue;
    }
    // Content belongs to the open block with the longest prefix it carries.
    Open* owner = nullptr;
    for (Open& o : open) {
      if (absl::StartsWith(line, o.prefix) &&
          (owner == nullptr || o.prefix.size() > owner->prefix.size())) {
        owner = &o;
      }
    }
    if (owner != nullptr) {
      line.remove_prefix(owner->prefix.size());
      absl::StrAppend(&owner->block.json, line);
    }
  }
  if (!open.empty()) {
    return Invalid(absl::StrCat("line ", open.front().block.line,
                                ": a results block never ends (no \"",
                                kResultsEnd, "\" line; cut-off output?)"));
  }
  std::sort(blocks.begin(), blocks.end(),
            [](const ResultsBlock& a, const ResultsBlock& b) {
              return a.line < b.line;
            });
  return blocks;
}

absl::StatusOr<std::vector<MergeInput>> ReadMergeInput(
    const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::path file = path;
  if (fs::is_directory(file, error)) {
    file /= "results.json";
  }
  if (!fs::is_regular_file(file, error)) {
    return absl::NotFoundError(
        absl::StrCat(file.string(),
                     ": no such file (give a results.json, a directory "
                     "holding one, or a log with --print_results blocks)"));
  }
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat(file.string(), ": cannot read it"));
  }
  std::vector<MergeInput> inputs;
  if (!absl::StrContains(text, kResultsBegin)) {
    ASSIGN_OR_RETURN(pb::Results results,
                     ParseResultsJson(text, file.string()));
    inputs.push_back({.source = file.string(), .results = std::move(results)});
    return inputs;
  }
  absl::StatusOr<std::vector<ResultsBlock>> blocks = FindResultsBlocks(text);
  if (!blocks.ok()) {
    return Invalid(
        absl::StrCat(file.string(), ": ", blocks.status().message()));
  }
  for (ResultsBlock& block : *blocks) {
    const std::string source = absl::StrCat(file.string(), ":", block.line);
    ASSIGN_OR_RETURN(pb::Results results, ParseResultsJson(block.json, source));
    inputs.push_back({.source = source, .results = std::move(results)});
  }
  return inputs;
}

absl::StatusOr<pb::Results> MergeShards(std::vector<MergeInput> inputs,
                                        const std::string& command) {
  if (inputs.empty()) {
    return Invalid("merge: no inputs");
  }
  RETURN_IF_ERROR(CheckShardsOfOneRun(inputs));
  std::vector<const MergeInput*> shards;
  for (const MergeInput& input : inputs) {
    shards.push_back(&input);
  }
  std::sort(shards.begin(), shards.end(), [](auto* a, auto* b) {
    return a->results.config().shard_index() <
           b->results.config().shard_index();
  });
  const pb::Results& first = shards[0]->results;

  pb::Results merged;
  pb::Config* config = merged.mutable_config();
  *config = first.config();
  config->set_command(command);
  config->set_shard_index(0);
  config->set_shard_count(static_cast<int32_t>(shards.size()));
  config->set_merged(true);
  config->clear_metrics_urls();
  std::set<std::pair<std::string, std::string>> urls;
  for (const MergeInput* shard : shards) {
    for (const pb::MetricsUrl& url : shard->results.config().metrics_urls()) {
      if (urls.emplace(url.target(), url.url()).second) {
        *config->add_metrics_urls() = url;
      }
    }
  }
  *merged.mutable_rules() = first.rules();

  // The environment: every host once; the CPUs loadgen had on all of them.
  pb::Environment* env = merged.mutable_environment();
  *env = first.environment();
  std::vector<std::string> hosts;
  int cpus = 0;
  for (const MergeInput* shard : shards) {
    const pb::Environment& e = shard->results.environment();
    if (std::find(hosts.begin(), hosts.end(), e.hostname()) == hosts.end()) {
      hosts.push_back(e.hostname());
      cpus += e.cpus();
    }
    if (!e.started_at().empty() &&
        (env->started_at().empty() || e.started_at() < env->started_at())) {
      env->set_started_at(e.started_at());
    }
    pb::Shard* out = merged.add_shards();
    out->set_shard_index(shard->results.config().shard_index());
    out->set_command(shard->results.config().command());
    *out->mutable_environment() = e;
    out->set_source(shard->source);
  }
  env->set_hostname(absl::StrJoin(hosts, ", "));
  env->set_cpus(cpus);

  for (int t = 0; t < first.targets_size(); ++t) {
    ASSIGN_OR_RETURN(MergedTarget target, MergeTarget(*config, shards, t));
    target.result.set_note(absl::StrJoin(target.notes, "; "));
    *merged.add_targets() = std::move(target.result);
  }
  return merged;
}

}  // namespace asyncgrpc::loadgen
