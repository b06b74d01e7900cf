// One target of a distributed run merged across its shards, for merge.h's
// MergeShards once it has checked that the inputs are the shards of one run.
// Per step the histograms are merged bucket by bucket and the percentiles
// recomputed from them (never averaged), counts, rates and loadgen's CPU
// summed, validity and-ed and the servers' metrics taken from one shard; the
// timelines are summed second by second; detection runs again on the merged
// steps. What could not be merged exactly is said in notes.
//
//   // shards: sorted by shard index; config: the merged run's.
//   for (int t = 0; t < shards[0]->results.targets_size(); ++t) {
//     ASSIGN_OR_RETURN(MergedTarget target, MergeTarget(config, shards, t));
//     target.result.set_note(absl::StrJoin(target.notes, "; "));
//   }
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loadgen/distributed/merge_input.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

struct MergedTarget {
  ::loadgen::v1::TargetResult result;  // Its note left empty.
  std::vector<std::string> notes;      // What the note should say, in order.
};

// Target `t` of every shard merged into one. `shards` are one run's, sorted
// by shard index; `config` is the merged run's. INVALID_ARGUMENT ("merge: "
// and where) for a step out of place, a corrupt histogram or one that does not
// hold its step's requests, or shards' loads that do not add up to the ramp.
absl::StatusOr<MergedTarget> MergeTarget(
    const ::loadgen::v1::Config& config,
    const std::vector<const MergeInput*>& shards, int t);

}  // namespace asyncgrpc::loadgen
