// Debian builds abseil without NDEBUG, so every absl::Mutex (ours and gRPC's,
// which uses absl::Mutex underneath) runs the deadlock detector's lock-graph
// bookkeeping on each Lock: 2-5% of the CPU of a busy service or loadgen in
// perf. Our binaries turn it off at start-up; tests keep it on.
//
//   int main(int argc, char** argv) {
//     DisableMutexDeadlockDetection();
//     ...
#pragma once

namespace asyncgrpc {

// Call before any thread starts.
void DisableMutexDeadlockDetection();

}  // namespace asyncgrpc
