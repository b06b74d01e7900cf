// --serve_from_memory: the whole items table, read once at start-up and kept
// as serialized Item messages, so GetItem can be answered without touching the
// database. A benchmark mode, not a cache: it exists so that scripts/ceilings
// can compare loadgen with h2load on an endpoint whose cost is gRPC's alone.
// Rows changed after start-up are not seen.
//
//   absl::StatusOr<MemoryItems> items = MemoryItems::Load(db, deadline);
//   const std::string* bytes = items->Find(25);  // nullptr: not found
#pragma once

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pg_connection.h"

namespace asyncgrpc::async {

class MemoryItems {
 public:
  // Pages through the table with the ListItems statements, as a client would.
  static absl::StatusOr<MemoryItems> Load(const DbOptions& db,
                                          absl::Time deadline);

  // The serialized items.v1.Item with this id, or nullptr.
  const std::string* Find(int64_t id) const;
  size_t size() const { return items_.size(); }

 private:
  absl::flat_hash_map<int64_t, std::string> items_;
};

}  // namespace asyncgrpc::async
