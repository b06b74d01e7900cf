// items.v1.ItemService on gRPC's callback API: a handler validates, hands the
// query to the database layer and returns at once; the event loop that gets the
// result fills the response and finishes the call. No gRPC thread ever waits on
// the database. The handlers take raw bodies and parse them
// (common/message_bodies.h), so a body protobuf refuses is INVALID_ARGUMENT, as
// in the sync service.
#pragma once

#include "async_service/async_pool.h"
#include "common/memory_items.h"
#include "items/v1/items.grpc.pb.h"

namespace asyncgrpc::async {

class ItemServiceImpl final
    : public items::v1::ItemService::WithRawCallbackMethod_GetItem<
          items::v1::ItemService::WithRawCallbackMethod_ListItems<
              items::v1::ItemService::Service>> {
 public:
  // With `memory` (--serve_from_memory), GetItem answers from it and never
  // reaches the database; ListItems still does.
  ItemServiceImpl(AsyncPool& pool, absl::Duration upstream_delay,
                  const MemoryItems* memory = nullptr)
      : pool_(pool), upstream_delay_(upstream_delay), memory_(memory) {}

  grpc::ServerUnaryReactor* GetItem(grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListItems(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;

 private:
  AsyncPool& pool_;
  const absl::Duration upstream_delay_;
  const MemoryItems* const memory_;
};

}  // namespace asyncgrpc::async
