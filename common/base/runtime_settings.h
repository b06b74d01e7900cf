// Process-wide settings our binaries (both services and loadgen) apply at
// start-up, before any thread starts. Each was measured on a 2-core machine
// (figures: docs/performance.md, "Figures behind choices in the code"); tests
// run without them.
//
//   int main(int argc, char** argv) {
//     ApplyRuntimeSettings();
//     ...
#pragma once

namespace asyncgrpc {

// - absl's mutex deadlock detector off. Debian builds abseil without NDEBUG,
//   so every absl::Mutex (ours and gRPC's, which uses absl::Mutex underneath)
//   updated the detector's lock graph on each Lock, a cost perf showed in a
//   busy service and in loadgen.
// - glibc malloc limited to 2 arenas. gRPC allocates a call on one thread and
//   frees it on another, and an arena per thread (up to 8 per core) raised
//   the async service's peak RSS with many calls in flight; with 2 arenas
//   calls/s stayed the same within noise in either service.
void ApplyRuntimeSettings();

}  // namespace asyncgrpc
