// items.v1.ItemService on gRPC's synchronous API: each call holds a gRPC thread
// while it waits for a pooled connection and for PostgreSQL to answer.
#pragma once

#include "items/v1/items.grpc.pb.h"
#include "sync_service/connection_pool.h"

namespace asyncgrpc::sync {

class ItemServiceImpl final : public items::v1::ItemService::Service {
 public:
  ItemServiceImpl(ConnectionPool& pool, absl::Duration upstream_delay)
      : pool_(pool), upstream_delay_(upstream_delay) {}

  grpc::Status GetItem(grpc::ServerContext* context,
                       const items::v1::GetItemRequest* request,
                       items::v1::Item* response) override;
  grpc::Status ListItems(grpc::ServerContext* context,
                         const items::v1::ListItemsRequest* request,
                         items::v1::ListItemsResponse* response) override;

 private:
  ConnectionPool& pool_;
  const absl::Duration upstream_delay_;
};

}  // namespace asyncgrpc::sync
