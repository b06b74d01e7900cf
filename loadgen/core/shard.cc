#include "loadgen/core/shard.h"

namespace asyncgrpc::loadgen {

int ShardUsers(int users, int index, int count) {
  return users / count + (index < users % count ? 1 : 0);
}

int64_t ShardUserId(int local, int index, int count) {
  return static_cast<int64_t>(local) * count + index;
}

double ShardRate(double rate, int count) { return rate / count; }

}  // namespace asyncgrpc::loadgen
