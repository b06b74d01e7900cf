#include "common/mutex_debug.h"

#include "absl/synchronization/mutex.h"

namespace asyncgrpc {

void DisableMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace asyncgrpc
