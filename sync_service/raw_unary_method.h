// Registers a blocking unary handler that takes and returns raw bodies
// (grpc::ByteBuffer), on gRPC's synchronous API.
//
// Why gRPC internals: for the callback API, gRPC generates
// WithRawCallbackMethod_X, which the async service uses; for the synchronous
// API it generates WithRawMethod_X only for the completion-queue style
// (RequestX), not for a blocking handler. What the generated synchronous
// Service does for typed messages is AddMethod(new RpcServiceMethod(...)),
// so this does the same with ByteBuffer. Raw bodies let both services parse
// requests and write responses with the same shared code
// (common/message_bodies.h, common/item_results.h), and answer alike.
// This is the only file that names grpc::internal.
//
//   AddMethod(RawUnaryMethod(kGetItemMethod, this,
//                            [](ItemServiceImpl* service, grpc::ServerContext* context,
//                               const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
//                              return service->GetItem(context, request, response);
//                            }));
#pragma once

#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/method_handler.h>

namespace asyncgrpc::sync {

// A method named `method` ("/items.v1.ItemService/GetItem") whose calls run
// `handler(service, context, request, response)` on the calling gRPC thread.
// The returned object belongs to grpc::Service::AddMethod.
template <typename Service, typename Handler>
grpc::internal::RpcServiceMethod* RawUnaryMethod(const char* method,
                                                 Service* service,
                                                 Handler handler) {
  return new grpc::internal::RpcServiceMethod(
      method, grpc::internal::RpcMethod::NORMAL_RPC,
      new grpc::internal::RpcMethodHandler<Service, grpc::ByteBuffer,
                                           grpc::ByteBuffer>(handler, service));
}

}  // namespace asyncgrpc::sync
