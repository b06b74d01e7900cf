#include "sync_service/item_service.h"

#include <chrono>

#include "common/item_results.h"
#include "common/queries.h"
#include "common/request_validation.h"
#include "common/status_macros.h"

namespace asyncgrpc::sync {
namespace {

CallContext CallContextOf(grpc::ServerContext* context) {
  CallContext call;
  const auto deadline = context->deadline();
  if (deadline != std::chrono::system_clock::time_point::max()) {
    call.deadline = absl::FromChrono(deadline);
  }
  call.is_cancelled = [context] { return context->IsCancelled(); };
  return call;
}

absl::Status GetItem(ConnectionPool& pool, grpc::ServerContext* context,
                     const items::v1::GetItemRequest& request,
                     items::v1::Item* response) {
  ASSIGN_OR_RETURN(const int64_t id, ValidateGetItem(request));
  BoundQuery query;
  BindGetItem(id, query);
  ASSIGN_OR_RETURN(PgResultPtr result,
                   pool.Execute(query, CallContextOf(context)));
  return BuildGetItemResponse(result.get(), id, response);
}

absl::Status ListItems(ConnectionPool& pool, grpc::ServerContext* context,
                       const items::v1::ListItemsRequest& request,
                       items::v1::ListItemsResponse* response) {
  ASSIGN_OR_RETURN(const ListItemsQuery list_query, ValidateListItems(request));
  BoundQuery query;
  BindListItems(list_query, query);
  ASSIGN_OR_RETURN(PgResultPtr result,
                   pool.Execute(query, CallContextOf(context)));
  return BuildListItemsResponse(result.get(), list_query, response);
}

}  // namespace

grpc::Status ItemServiceImpl::GetItem(grpc::ServerContext* context,
                                      const items::v1::GetItemRequest* request,
                                      items::v1::Item* response) {
  return ToGrpcStatus(sync::GetItem(pool_, context, *request, response));
}

grpc::Status ItemServiceImpl::ListItems(
    grpc::ServerContext* context, const items::v1::ListItemsRequest* request,
    items::v1::ListItemsResponse* response) {
  return ToGrpcStatus(sync::ListItems(pool_, context, *request, response));
}

}  // namespace asyncgrpc::sync
