#include "async_service/item_service.h"

#include "common/base/status_macros.h"
#include "common/call_deadline.h"
#include "common/item_results.h"
#include "common/message_bodies.h"

namespace asyncgrpc::async {
namespace {

// One call's reactor: lets a client cancel reach the call's database request.
// Finish happens in the request's completion, which the database layer runs
// exactly once.
class DbCallReactor final : public grpc::ServerUnaryReactor {
 public:
  explicit DbCallReactor(AsyncPool& pool) : pool_(pool) {}

  void Start(std::shared_ptr<DbRequest> request, absl::Duration delay) {
    request_ = request;
    pool_.Submit(std::move(request), delay);
  }

  void OnCancel() override {
    if (request_ != nullptr) {
      pool_.Cancel(request_, absl::CancelledError("call cancelled"));
    }
  }

  void OnDone() override { delete this; }

 private:
  AsyncPool& pool_;
  std::shared_ptr<DbRequest> request_;
};

// Starts `request`, whose completion writes the answer to `response_body`
// with `respond` and finishes the call.
template <typename Respond>
grpc::ServerUnaryReactor* RunQuery(AsyncPool& pool, absl::Duration delay,
                                   grpc::CallbackServerContext* context,
                                   std::shared_ptr<DbRequest> request,
                                   grpc::ByteBuffer* response_body,
                                   Respond respond) {
  auto* reactor = new DbCallReactor(pool);
  request->deadline = CallDeadline(*context);
  request->on_complete = [reactor, response_body, respond = std::move(respond)](
                             absl::StatusOr<PgResultPtr> result) {
    absl::Status status = result.status();
    if (status.ok()) {
      status = respond(result->get(), *response_body);
    }
    reactor->Finish(ToGrpcStatus(status));
  };
  reactor->Start(std::move(request), delay);
  return reactor;
}

// A call answered without the database: finished at once with `status`,
// through gRPC's default reactor (nothing to cancel, nothing to clean up).
grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context,
                                    const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* ItemServiceImpl::GetItem(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  absl::StatusOr<int64_t> id = ParseGetItem(*request);
  if (!id.ok()) {
    return FinishNow(context, id.status());
  }
  if (memory_ != nullptr) {
    return FinishNow(context, memory_->Answer(*id, *response));
  }
  auto db_request = std::make_shared<DbRequest>();
  BindGetItem(*id, db_request->query);
  return RunQuery(pool_, upstream_delay_, context, std::move(db_request),
                  response,
                  [id = *id](const PGresult* result, grpc::ByteBuffer& body) {
                    return SerializeGetItemResponse(result, id, body);
                  });
}

grpc::ServerUnaryReactor* ItemServiceImpl::ListItems(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  absl::StatusOr<ListItemsQuery> query = ParseListItems(*request);
  if (!query.ok()) {
    return FinishNow(context, query.status());
  }
  auto db_request = std::make_shared<DbRequest>();
  BindListItems(*query, db_request->query);
  return RunQuery(
      pool_, upstream_delay_, context, std::move(db_request), response,
      [query = *query](const PGresult* result, grpc::ByteBuffer& body) {
        return SerializeListItemsResponse(result, query, body);
      });
}

}  // namespace asyncgrpc::async
