#include "loadgen/core/grpc_log.h"

#include <grpc/support/log.h>

#include <cstdlib>
#include <iostream>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace asyncgrpc::loadgen {
namespace {

absl::Mutex grpc_log_mutex(absl::kConstInit);
std::string* last_grpc_error ABSL_GUARDED_BY(grpc_log_mutex) = nullptr;

void KeepGrpcLog(gpr_log_func_args* args) {
  static const bool verbose = std::getenv("GRPC_VERBOSITY") != nullptr;
  absl::string_view message = args->message;
  message = message.substr(0, message.find(" {"));
  if (verbose) {
    std::cerr << "grpc: " << message << std::endl;
  }
  if (args->severity == GPR_LOG_SEVERITY_ERROR) {
    absl::MutexLock lock(&grpc_log_mutex);
    if (last_grpc_error == nullptr) {
      last_grpc_error = new std::string;
    }
    *last_grpc_error = std::string(message);
  }
}

}  // namespace

void KeepGrpcLogOffStderr() { gpr_set_log_function(&KeepGrpcLog); }

std::string LastGrpcError() {
  absl::MutexLock lock(&grpc_log_mutex);
  return last_grpc_error != nullptr ? *last_grpc_error : "";
}

}  // namespace asyncgrpc::loadgen
