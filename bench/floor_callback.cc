// floor_callback: the least gRPC's callback API does to answer GetItem from
// memory (bench/floor_server.h): the handler finishes each call at once
// through the default reactor, on gRPC's own callback threads, as
// async_service does with --serve_from_memory. Only GetItem is served.
#include <grpcpp/grpcpp.h>

#include "bench/floor_server.h"
#include "common/base/status_macros.h"
#include "common/message_bodies.h"
#include "items/v1/items.grpc.pb.h"

namespace {

class FloorCallbackService final
    : public items::v1::ItemService::WithRawCallbackMethod_GetItem<
          items::v1::ItemService::Service> {
 public:
  explicit FloorCallbackService(const asyncgrpc::MemoryItems& items)
      : items_(items) {}

  grpc::ServerUnaryReactor* GetItem(grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) override {
    absl::StatusOr<int64_t> id = asyncgrpc::ParseGetItem(*request);
    absl::Status status = id.ok() ? items_.Answer(*id, *response) : id.status();
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(asyncgrpc::ToGrpcStatus(status));
    return reactor;
  }

 private:
  const asyncgrpc::MemoryItems& items_;
};

}  // namespace

int main(int argc, char** argv) {
  const asyncgrpc::bench::FloorSetup setup = asyncgrpc::bench::StartFloor(
      argc, argv,
      "Answers items.v1.ItemService/GetItem from memory on gRPC's callback "
      "API: the floor of that API.");
  FloorCallbackService service(*setup.items);
  return asyncgrpc::bench::ServeFloor(service, nullptr);
}
