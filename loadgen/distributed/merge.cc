#include "loadgen/distributed/merge.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/base/status_macros.h"
#include "loadgen/distributed/merge_target.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
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
      {"slowdown_floor_ms", absl::StrCat(c.slowdown_floor_ms())},
      {"error_threshold", absl::StrCat(c.error_threshold())},
      {"start_at", c.start_at().empty() ? "(none)" : c.start_at()},
      {"target results",
       absl::StrCat(names.size(), ": ", absl::StrJoin(names, ","))},
  };
}

// Refuses inputs that are not every shard of one run, each once: merged,
// they would describe a run that never happened.
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

// The shards sorted by shard index.
std::vector<const MergeInput*> ByShardIndex(
    const std::vector<MergeInput>& inputs) {
  std::vector<const MergeInput*> shards;
  for (const MergeInput& input : inputs) {
    shards.push_back(&input);
  }
  std::sort(shards.begin(), shards.end(), [](auto* a, auto* b) {
    return a->results.config().shard_index() <
           b->results.config().shard_index();
  });
  return shards;
}

// The merged run's config: the first shard's, marked merged, with the
// `command` that merged it and every shard's --metrics_url once.
pb::Config MergedConfig(const std::vector<const MergeInput*>& shards,
                        const std::string& command) {
  pb::Config config = shards[0]->results.config();
  config.set_command(command);
  config.set_shard_index(0);
  config.set_shard_count(static_cast<int32_t>(shards.size()));
  config.set_merged(true);
  config.clear_metrics_urls();
  std::set<std::pair<std::string, std::string>> urls;
  for (const MergeInput* shard : shards) {
    for (const pb::MetricsUrl& url : shard->results.config().metrics_urls()) {
      if (urls.emplace(url.target(), url.url()).second) {
        *config.add_metrics_urls() = url;
      }
    }
  }
  return config;
}

// The merged run's environment: every host once, the CPUs loadgen had on all
// of them, the earliest start. Each shard's own environment, command and
// source are kept in `merged`'s shards.
void MergeEnvironments(const std::vector<const MergeInput*>& shards,
                       pb::Results* merged) {
  pb::Environment* env = merged->mutable_environment();
  *env = shards[0]->results.environment();
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
    pb::Shard* out = merged->add_shards();
    out->set_shard_index(shard->results.config().shard_index());
    out->set_command(shard->results.config().command());
    *out->mutable_environment() = e;
    out->set_source(shard->source);
  }
  env->set_hostname(absl::StrJoin(hosts, ", "));
  env->set_cpus(cpus);
}

}  // namespace

absl::StatusOr<pb::Results> MergeShards(std::vector<MergeInput> inputs,
                                        const std::string& command) {
  if (inputs.empty()) {
    return Invalid("merge: no inputs");
  }
  RETURN_IF_ERROR(CheckShardsOfOneRun(inputs));
  const std::vector<const MergeInput*> shards = ByShardIndex(inputs);
  const pb::Results& first = shards[0]->results;

  pb::Results merged;
  *merged.mutable_config() = MergedConfig(shards, command);
  *merged.mutable_rules() = first.rules();
  MergeEnvironments(shards, &merged);
  for (int t = 0; t < first.targets_size(); ++t) {
    ASSIGN_OR_RETURN(MergedTarget target,
                     MergeTarget(merged.config(), shards, t));
    target.result.set_note(absl::StrJoin(target.notes, "; "));
    *merged.add_targets() = std::move(target.result);
  }
  return merged;
}

}  // namespace asyncgrpc::loadgen
