#include "loadgen/diff/same_config.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

// The fields that shape the load, by name, with their values as text.
std::vector<std::pair<std::string, std::string>> LoadShape(
    const pb::Config& c) {
  // Files written before sharding existed say 0 for a whole run.
  const int shard_count = std::max(c.shard_count(), 1);
  return {
      {"mode", c.mode()},
      {"ramp_start", absl::StrCat(c.ramp_start())},
      {"ramp_end", absl::StrCat(c.ramp_end())},
      {"ramp_step", absl::StrCat(c.ramp_step())},
      {"step_duration_s", absl::StrCat(c.step_duration_s())},
      {"warmup_s", absl::StrCat(c.warmup_s())},
      {"spawn_rate", absl::StrCat(c.spawn_rate())},
      {"think_time_s", absl::StrCat(c.think_time_s())},
      {"scenario", c.scenario()},
      {"deadline_s", absl::StrCat(c.deadline_s())},
      {"channels", absl::StrCat(c.channels())},
      {"max_in_flight", absl::StrCat(c.max_in_flight())},
      {"seed", absl::StrCat(c.seed())},
      {"shard_count", absl::StrCat(shard_count)},
      // A shard's steps carry its share of the load, a merged run's all of
      // it: shard 0 of 3 and the merged run are not the same load.
      {"shard_index", absl::StrCat(c.shard_index())},
      {"merged", c.merged() ? "true" : "false"},
  };
}

std::set<std::string> TargetNames(const pb::Results& results) {
  std::set<std::string> names;
  for (const pb::TargetResult& t : results.targets()) {
    names.insert(t.name());
  }
  return names;
}

absl::Status CheckSameTargets(const pb::Results& a, const pb::Results& b) {
  const std::set<std::string> in_a = TargetNames(a);
  const std::set<std::string> in_b = TargetNames(b);
  if (in_a.empty() && in_b.empty()) {
    return absl::InvalidArgumentError("diff: neither run has a target");
  }
  const auto only = [](const std::set<std::string>& mine,
                       const std::set<std::string>& theirs) {
    for (const std::string& name : mine) {
      if (!theirs.contains(name)) {
        return name;
      }
    }
    return std::string();
  };
  for (const auto& [name, run] :
       {std::pair(only(in_a, in_b), "A"), std::pair(only(in_b, in_a), "B")}) {
    if (!name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "diff: unrelated runs: target \"", name, "\" is only in ", run,
          " (A has ", absl::StrJoin(in_a, ","), "; B has ",
          absl::StrJoin(in_b, ","), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckSameConfig(const pb::Results& a, const pb::Results& b) {
  if (absl::Status targets = CheckSameTargets(a, b); !targets.ok()) {
    return targets;
  }
  const auto shape_a = LoadShape(a.config());
  const auto shape_b = LoadShape(b.config());
  for (size_t i = 0; i < shape_a.size(); ++i) {
    if (shape_a[i].second != shape_b[i].second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "diff: A and B ran different configs: ", shape_a[i].first, " is \"",
          shape_a[i].second, "\" in A, \"", shape_b[i].second, "\" in B"));
    }
  }
  return absl::OkStatus();
}

}  // namespace asyncgrpc::loadgen
