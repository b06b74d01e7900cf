#include "sync_service/item_service.h"

#include <algorithm>

#include "common/base/status_macros.h"
#include "common/call_deadline.h"
#include "common/item_results.h"
#include "common/message_bodies.h"
#include "common/queries.h"
#include "sync_service/raw_unary_method.h"

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
                     const MemoryItems* memory, grpc::ServerContext* context,
                     const grpc::ByteBuffer& request_body,
                     grpc::ByteBuffer& response_body) {
  ASSIGN_OR_RETURN(const int64_t id, ParseGetItem(request_body));
  if (memory != nullptr) {
    return memory->Answer(id, response_body);
  }
  RETURN_IF_ERROR(WaitForUpstream(upstream_delay, context));
  BoundQuery query;
  BindGetItem(id, query);
  ASSIGN_OR_RETURN(PgResultPtr result,
                   pool.Execute(query, CallContextOf(context)));
  return SerializeGetItemResponse(result.get(), id, response_body);
}

absl::Status ListItems(ConnectionPool& pool, absl::Duration upstream_delay,
                       grpc::ServerContext* context,
                       const grpc::ByteBuffer& request_body,
                       grpc::ByteBuffer& response_body) {
  ASSIGN_OR_RETURN(const ListItemsQuery list_query,
                   ParseListItems(request_body));
  RETURN_IF_ERROR(WaitForUpstream(upstream_delay, context));
  BoundQuery query;
  BindListItems(list_query, query);
  ASSIGN_OR_RETURN(PgResultPtr result,
                   pool.Execute(query, CallContextOf(context)));
  return SerializeListItemsResponse(result.get(), list_query, response_body);
}

}  // namespace

ItemServiceImpl::ItemServiceImpl(ConnectionPool& pool,
                                 absl::Duration upstream_delay,
                                 const MemoryItems* memory)
    : pool_(pool), upstream_delay_(upstream_delay), memory_(memory) {
  AddMethod(RawUnaryMethod(
      kGetItemMethod, this,
      [](ItemServiceImpl* service, grpc::ServerContext* context,
         const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
        return service->GetItem(context, request, response);
      }));
  AddMethod(RawUnaryMethod(
      kListItemsMethod, this,
      [](ItemServiceImpl* service, grpc::ServerContext* context,
         const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
        return service->ListItems(context, request, response);
      }));
}

grpc::Status ItemServiceImpl::GetItem(grpc::ServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) {
  return ToGrpcStatus(sync::GetItem(pool_, upstream_delay_, memory_, context,
                                    *request, *response));
}

grpc::Status ItemServiceImpl::ListItems(grpc::ServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) {
  return ToGrpcStatus(
      sync::ListItems(pool_, upstream_delay_, context, *request, *response));
}

}  // namespace asyncgrpc::sync
