// How a distributed run (--shard_index/--shard_count: the pods of an Indexed
// Job) splits each step's load over its shards, so that together they make
// exactly the whole run's users, arrivals and request stream. The runner
// applies it to its own share; `loadgen merge` (distributed/) checks that the
// shares add up.
//
//   int mine = ShardUsers(10, /*index=*/0, /*count=*/3);  // 4 (then 3 and 3)
//   int64_t id = ShardUserId(mine - 1, 0, 3);             // 9
#pragma once

#include <cstdint>

namespace asyncgrpc::loadgen {

// Shard `index` of `count` (0 <= index < count) runs floor(users / count)
// users, one more for the first users % count shards, so the shards' users add
// up to `users` exactly. The shard's users are the whole run's users index,
// index + count, index + 2 * count, ... (see ShardUserId).
int ShardUsers(int users, int index, int count);

// The whole run's number of the shard's `local`-th user: local * count + index.
// Keys derived from it make the shards' request streams, together, the whole
// run's.
int64_t ShardUserId(int local, int index, int count);

// The shard's share of an open-loop rate: rate / count. Its arrivals are the
// whole run's arrivals index, index + count, ... of the step's schedule.
double ShardRate(double rate, int count);

}  // namespace asyncgrpc::loadgen
