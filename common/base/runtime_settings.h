// Process-wide settings our binaries (both services and loadgen) apply at
// start-up, before any thread starts. Each was measured with scripts/ceilings
// on a 2-core machine; tests run without them.
//
//   int main(int argc, char** argv) {
//     ApplyRuntimeSettings();
//     ...
#pragma once

namespace asyncgrpc {

// - absl's mutex deadlock detector off. Debian builds abseil without NDEBUG,
//   so every absl::Mutex (ours and gRPC's, which uses absl::Mutex underneath)
//   updated the detector's lock graph on each Lock: 2-5% of the CPU of a busy
//   service or loadgen in perf.
// - glibc malloc limited to 2 arenas. gRPC allocates a call on one thread and
//   frees it on another; with an arena per thread (up to 8 per core) the
//   async service's peak RSS with 10,000 calls in flight was 232-288 MB, with
//   2 arenas 198-207 MB, calls/s unchanged within noise in either service.
void ApplyRuntimeSettings();

}  // namespace asyncgrpc
