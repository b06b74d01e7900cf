// floor_client: the least gRPC's C++ callback client does to send GetItem in
// open loop: calls at start + k / rate, over --channels connections in turn,
// each with a deadline, counting the answers and nothing more (no histogram,
// no timeline, no parsing beyond what the stub does). scripts/ceilings
// measures loadgen against it and against h2load at the same rate: what
// loadgen costs beyond it is loadgen's own; what it costs beyond h2load is
// gRPC's client.
//
//   floor_client --target 127.0.0.1:50051 --rate 3000 --duration 12s
//
// Prints "floor_client: N sent, N ok, 0 failed" and exits 0 when every call
// ended OK, 1 otherwise, 2 on bad input.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/base/flags.h"
#include "common/base/runtime_settings.h"
#include "items/v1/items.grpc.pb.h"
#include "loadgen/core/open_loop_schedule.h"

ABSL_FLAG(std::string, target, "", "host:port of items.v1.ItemService");
ABSL_FLAG(double, rate, 1000, "calls per second, in all");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "how long to send");
ABSL_FLAG(int, channels, 4, "gRPC channels (TCP connections), as loadgen's");
ABSL_FLAG(int, item_ids, 800, "GetItem asks for ids 1..item_ids in turn");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(10), "per call");

namespace {

// One call's state, deleted when its answer (or failure) came.
struct Call {
  grpc::ClientContext context;
  items::v1::GetItemRequest request;
  items::v1::Item item;
};

// How the calls ended, and a wait for the last one (callbacks run on gRPC's
// threads).
class Counts {
 public:
  void Sent() { in_flight_.fetch_add(1); }
  void Ended(bool ok) {
    (ok ? ok_ : failed_).fetch_add(1);
    if (in_flight_.fetch_sub(1) == 1 && sending_done_.load()) {
      drained_.Notify();
    }
  }
  // Waits for every call sent to end (or until `deadline`).
  void SendingDone(absl::Time deadline) {
    sending_done_.store(true);
    if (in_flight_.load() > 0) {
      drained_.WaitForNotificationWithDeadline(deadline);
    }
  }
  int64_t ok() const { return ok_.load(); }
  int64_t failed() const { return failed_.load(); }

 private:
  std::atomic<int64_t> in_flight_{0}, ok_{0}, failed_{0};
  std::atomic<bool> sending_done_{false};
  absl::Notification drained_;
};

void CheckFlags() {
  if (absl::GetFlag(FLAGS_target).empty()) {
    asyncgrpc::ExitWithUsageError("--target is required");
  }
  if (!(absl::GetFlag(FLAGS_rate) > 0)) {
    asyncgrpc::ExitWithUsageError("--rate must be above 0");
  }
  if (absl::GetFlag(FLAGS_duration) <= absl::ZeroDuration() ||
      absl::GetFlag(FLAGS_deadline) <= absl::ZeroDuration()) {
    asyncgrpc::ExitWithUsageError("--duration and --deadline must be above 0");
  }
  if (absl::GetFlag(FLAGS_channels) < 1 || absl::GetFlag(FLAGS_item_ids) < 1) {
    asyncgrpc::ExitWithUsageError(
        "--channels and --item_ids must be at least 1");
  }
}

std::vector<std::unique_ptr<items::v1::ItemService::Stub>> Stubs() {
  std::vector<std::unique_ptr<items::v1::ItemService::Stub>> stubs;
  for (int i = 0; i < absl::GetFlag(FLAGS_channels); ++i) {
    grpc::ChannelArguments args;
    args.SetInt("floor_client.channel", i);  // a connection per channel
    stubs.push_back(items::v1::ItemService::NewStub(
        grpc::CreateCustomChannel(absl::GetFlag(FLAGS_target),
                                  grpc::InsecureChannelCredentials(), args)));
  }
  return stubs;
}

}  // namespace

int main(int argc, char** argv) {
  asyncgrpc::ApplyRuntimeSettings();
  if (!asyncgrpc::ParseFlagsOrExit(
           argc, argv,
           "Sends items.v1.ItemService/GetItem in open loop with nothing but "
           "gRPC's callback client: the floor loadgen is measured against.")
           .empty()) {
    asyncgrpc::ExitWithUsageError("takes no positional arguments");
  }
  CheckFlags();
  const absl::Duration deadline = absl::GetFlag(FLAGS_deadline);
  const int item_ids = absl::GetFlag(FLAGS_item_ids);
  const std::vector<std::unique_ptr<items::v1::ItemService::Stub>> stubs =
      Stubs();
  Counts counts;
  // loadgen's own plan of send times.
  const absl::Time start = absl::Now();
  const asyncgrpc::loadgen::OpenLoopSchedule schedule(
      start, start + absl::GetFlag(FLAGS_duration), absl::GetFlag(FLAGS_rate));
  const int64_t sends = schedule.Count();
  int64_t sent = 0;
  for (; sent < sends; ++sent) {
    const absl::Duration wait = schedule.At(sent) - absl::Now();
    if (wait > absl::ZeroDuration()) {
      absl::SleepFor(wait);
    }
    auto* call = new Call;
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    call->request.set_id(1 + sent % item_ids);
    counts.Sent();
    stubs[sent % stubs.size()]->async()->GetItem(
        &call->context, &call->request, &call->item,
        [call, &counts](const grpc::Status& status) {
          delete call;
          counts.Ended(status.ok());
        });
  }
  counts.SendingDone(absl::Now() + deadline + absl::Seconds(1));
  std::cout << "floor_client: " << sent << " sent, " << counts.ok() << " ok, "
            << counts.failed() << " failed" << std::endl;
  return counts.failed() == 0 && counts.ok() == sent ? 0 : 1;
}
