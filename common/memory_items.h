// --serve_from_memory: the whole items table, read once at start-up and kept
// as serialized Item messages, so GetItem can be answered without touching the
// database. A benchmark mode, not a cache: scripts/ceilings uses it to measure
// what each service's gRPC layer costs alone, and to compare loadgen with
// h2load on an endpoint whose cost is gRPC's only. Rows changed after start-up
// are not seen.
//
//   std::unique_ptr<const MemoryItems> memory =
//       MemoryItems::LoadIfRequestedOrExit(config);  // nullptr: flag off
//   absl::Status status = memory->Answer(25, response);
#pragma once

#include <grpcpp/support/byte_buffer.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pg_connection.h"
#include "common/service_config.h"

namespace asyncgrpc {

class MemoryItems {
 public:
  // Pages through the table with the ListItems statements, as a client would.
  static absl::StatusOr<MemoryItems> Load(const DbOptions& db,
                                          absl::Time deadline);

  // nullptr unless --serve_from_memory is on; then the loaded table, announced
  // on stderr. Exits 2 with one line when the table cannot be read.
  static std::unique_ptr<const MemoryItems> LoadIfRequestedOrExit(
      const ServiceConfig& config);

  // GetItem's answer: the item's bytes in `response`, or the NOT_FOUND the
  // database path gives.
  absl::Status Answer(int64_t id, grpc::ByteBuffer& response) const;

 private:
  // The serialized items.v1.Item with each id.
  absl::flat_hash_map<int64_t, std::string> items_;
};

}  // namespace asyncgrpc
