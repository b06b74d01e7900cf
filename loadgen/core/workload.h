// The requests loadgen sends to one target: a few channels (each its own TCP
// connection; TLS when the config has root certificates) and the scenario's
// iterations, issued with gRPC's callback client API so no thread waits on a
// reply.
//
//   Workload workload(config, target);
//   workload.Start(key, [](grpc::StatusCode code) {
//     ...  // runs once the iteration ends
//   });
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "items/v1/items.grpc.pb.h"
#include "loadgen/core/config.h"

namespace asyncgrpc::loadgen {

class Workload {
 public:
  using Done = std::function<void(grpc::StatusCode)>;

  Workload(const RunConfig& config, const Target& target);

  // True once every channel is connected (false at `deadline`).
  bool WaitConnected(absl::Time deadline);
  // True while no channel is in TRANSIENT_FAILURE or SHUTDOWN.
  bool Reachable();

  // Starts one iteration of the scenario. `key` makes its random choices
  // reproducible. `done` gets OK or the first failing call's code, on a gRPC
  // thread.
  void Start(uint64_t key, Done done);

  int InFlight() const { return in_flight_.load(); }
  // Waits until no iteration is in flight (or `deadline`).
  bool Drain(absl::Time deadline) const;

 private:
  friend class Iteration;

  // ListItems replies are parsed into messages kept here between calls: a
  // cleared message keeps its items and their strings, so parsing the next
  // 800-item page into it allocates nothing, where a fresh message made four
  // heap objects per item and freed them again: malloc and free were a large
  // share of loadgen's CPU in perf, and reuse cut its CPU per 800-item call
  // (figures: docs/performance.md, "Figures behind choices in the code"). At
  // most kMaxPooledListResponses (workload.cc) are kept.
  std::unique_ptr<items::v1::ListItemsResponse> TakeListResponse();
  void ReturnListResponse(
      std::unique_ptr<items::v1::ListItemsResponse> response);

  const RunConfig& config_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<items::v1::ItemService::Stub>> stubs_;
  std::atomic<int> in_flight_{0};
  std::atomic<uint64_t> next_stub_{0};
  absl::Mutex list_responses_mu_;
  std::vector<std::unique_ptr<items::v1::ListItemsResponse>> list_responses_
      ABSL_GUARDED_BY(list_responses_mu_);
};

}  // namespace asyncgrpc::loadgen
