#include "sync_service/item_service.h"

#include <algorithm>

#include "common/call_deadline.h"
#include "common/item_results.h"
#include "common/queries.h"
#include "common/request_validation.h"
#include "common/status_macros.h"

namespace asyncgrpc::sync {
namespace {

CallContext CallContextOf(grpc::ServerContext* context) {
  CallContext call;
  call.deadline = CallDeadline(*context);
  call.is_cancelled = [context] { return context->IsCancelled(); };
  return call;
}

// The simulated slow third-party call: a blocking client would hold this thread
// for its duration.
absl::Status WaitForUpstream(absl::Duration delay,
                             grpc::ServerContext* context) {
  if (delay <= absl::ZeroDuration()) {
    return absl::OkStatus();
  }
  const absl::Time deadline = CallDeadline(*context);
  absl::SleepFor(std::min(delay, deadline - absl::Now()));
  if (absl::Now() >= deadline) {
    return absl::DeadlineExceededError(
        "deadline exceeded while waiting for the upstream call");
  }
  return absl::OkStatus();
}

absl::Status GetItem(ConnectionPool& pool, absl::Duration upstream_delay,
                     grpc::ServerContext* context,
                     const items::v1::GetItemRequest& request,
                     items::v1::Item* response) {
  ASSIGN_OR_RETURN(const int64_t id, ValidateGetItem(request));
  RETURN_IF_ERROR(WaitForUpstream(upstream_delay, context));
  BoundQuery query;
  BindGetItem(id, query);
  ASSIGN_OR_RETURN(PgResultPtr result,
                   pool.Execute(query, CallContextOf(context)));
  return BuildGetItemResponse(result.get(), id, response);
}

absl::Status ListItems(ConnectionPool& pool, absl::Duration upstream_delay,
                       grpc::ServerContext* context,
                       const items::v1::ListItemsRequest& request,
                       items::v1::ListItemsResponse* response) {
  ASSIGN_OR_RETURN(const ListItemsQuery list_query, ValidateListItems(request));
  RETURN_IF_ERROR(WaitForUpstream(upstream_delay, context));
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
  return ToGrpcStatus(
      sync::GetItem(pool_, upstream_delay_, context, *request, response));
}

grpc::Status ItemServiceImpl::ListItems(
    grpc::ServerContext* context, const items::v1::ListItemsRequest* request,
    items::v1::ListItemsResponse* response) {
  return ToGrpcStatus(
      sync::ListItems(pool_, upstream_delay_, context, *request, response));
}

}  // namespace asyncgrpc::sync
