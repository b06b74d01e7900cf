// floor_sync: the least gRPC's synchronous API does to answer GetItem from
// memory (bench/floor_server.h), with sync_service's thread settings: a
// handler runs on the thread that polled its call, up to --max_threads, and
// every thread may poll. Only GetItem is served.
#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "bench/floor_server.h"
#include "common/base/flags.h"
#include "common/base/status_macros.h"
#include "common/message_bodies.h"
#include "sync_service/raw_unary_method.h"

ABSL_FLAG(int, max_threads, 256,
          "cap on gRPC's handler threads (ResourceQuota), as sync_service's");

namespace {

class FloorSyncService final : public grpc::Service {
 public:
  explicit FloorSyncService(const asyncgrpc::MemoryItems& items)
      : items_(items) {
    AddMethod(asyncgrpc::sync::RawUnaryMethod(
        "/items.v1.ItemService/GetItem", this,
        [](FloorSyncService* service, grpc::ServerContext*,
           const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
          return service->GetItem(*request, *response);
        }));
  }

 private:
  grpc::Status GetItem(const grpc::ByteBuffer& request,
                       grpc::ByteBuffer& response) const {
    absl::StatusOr<int64_t> id = asyncgrpc::ParseGetItem(request);
    absl::Status status = id.ok() ? items_.Answer(*id, response) : id.status();
    return asyncgrpc::ToGrpcStatus(status);
  }

  const asyncgrpc::MemoryItems& items_;
};

}  // namespace

int main(int argc, char** argv) {
  const asyncgrpc::bench::FloorSetup setup = asyncgrpc::bench::StartFloor(
      argc, argv,
      "Answers items.v1.ItemService/GetItem from memory on gRPC's synchronous "
      "API, with sync_service's thread settings: the floor of that API.",
      [] {
        if (absl::GetFlag(FLAGS_max_threads) < 2) {
          asyncgrpc::ExitWithUsageError("--max_threads must be at least 2");
        }
      });
  const int max_threads = absl::GetFlag(FLAGS_max_threads);
  FloorSyncService service(*setup.items);
  return asyncgrpc::bench::ServeFloor(
      service, [max_threads](grpc::ServerBuilder& builder) {
        grpc::ResourceQuota quota("floor_sync");
        quota.SetMaxThreads(max_threads);
        builder.SetResourceQuota(quota);
        // sync_service's default --max_pollers: as many as --max_threads.
        builder.SetSyncServerOption(
            grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, max_threads);
      });
}
