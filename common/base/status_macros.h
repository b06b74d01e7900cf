// Early-return helpers for absl::Status / absl::StatusOr (abseil 20220623 ships
// none), and the one conversion to grpc::Status used at the RPC edge.
//
//   RETURN_IF_ERROR(conn.Prepare());
//   ASSIGN_OR_RETURN(ListItemsQuery query, ValidateListItems(request));
//   return ToGrpcStatus(status);
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ASYNCGRPC_CONCAT_INNER(a, b) a##b
#define ASYNCGRPC_CONCAT(a, b) ASYNCGRPC_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                           \
  do {                                                  \
    if (absl::Status status_ = (expr); !status_.ok()) { \
      return status_;                                   \
    }                                                   \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(ASYNCGRPC_CONCAT(statusor_, __LINE__), lhs, expr)

#define ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                          \
  if (!statusor.ok()) {                            \
    return std::move(statusor).status();           \
  }                                                \
  lhs = *std::move(statusor)

namespace asyncgrpc {

// absl and gRPC status codes share their numbering, so the mapping is one to
// one.
inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) {
    return grpc::Status::OK;
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

}  // namespace asyncgrpc
