// items.v1.ItemService on gRPC's synchronous API: each call holds a gRPC thread
// while it waits for a pooled connection and for PostgreSQL to answer. The
// handlers take raw bodies and parse them (common/message_bodies.h), so a body
// protobuf refuses is INVALID_ARGUMENT, as in the async service.
#pragma once

#include <grpcpp/impl/service_type.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>

#include "absl/time/time.h"
#include "common/memory_items.h"
#include "sync_service/connection_pool.h"

namespace asyncgrpc::sync {

class ItemServiceImpl final : public grpc::Service {
 public:
  // With `memory` (--serve_from_memory), GetItem answers from it and never
  // reaches the database; ListItems still does.
  ItemServiceImpl(ConnectionPool& pool, absl::Duration upstream_delay,
                  const MemoryItems* memory = nullptr);

  grpc::Status GetItem(grpc::ServerContext* context,
                       const grpc::ByteBuffer* request,
                       grpc::ByteBuffer* response);
  grpc::Status ListItems(grpc::ServerContext* context,
                         const grpc::ByteBuffer* request,
                         grpc::ByteBuffer* response);

 private:
  ConnectionPool& pool_;
  const absl::Duration upstream_delay_;
  const MemoryItems* const memory_;
};

}  // namespace asyncgrpc::sync
