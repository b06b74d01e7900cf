#include "common/base/runtime_settings.h"

#include <malloc.h>

#include "absl/synchronization/mutex.h"

namespace asyncgrpc {

void ApplyRuntimeSettings() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  mallopt(M_ARENA_MAX, 2);
}

}  // namespace asyncgrpc
