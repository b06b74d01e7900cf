// The async service's hand-off from a gRPC thread to a database event loop
// (EventLoop::Post: a mutex-guarded queue plus an eventfd wake-up), measured
// as throughput (a burst of posts, as under load) and as a round trip (one
// post, wait for it to run, as at low load).
#include <benchmark/benchmark.h>

#include <atomic>

#include "absl/synchronization/notification.h"
#include "async_service/event_loop.h"

namespace asyncgrpc::async {
namespace {

void BM_PostBurst(benchmark::State& state) {
  EventLoop loop;
  const int burst = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::atomic<int> ran{0};
    absl::Notification done;
    for (int i = 0; i < burst; ++i) {
      loop.Post([&ran, &done, burst] {
        if (ran.fetch_add(1, std::memory_order_relaxed) + 1 == burst) {
          done.Notify();
        }
      });
    }
    done.WaitForNotification();
  }
  state.SetItemsProcessed(state.iterations() * burst);
}
BENCHMARK(BM_PostBurst)->Arg(1)->Arg(64)->Arg(1024)->UseRealTime();

void BM_PostRoundTrip(benchmark::State& state) {
  EventLoop loop;
  for (auto _ : state) {
    absl::Notification done;
    loop.Post([&done] { done.Notify(); });
    done.WaitForNotification();
  }
}
BENCHMARK(BM_PostRoundTrip)->UseRealTime();

}  // namespace
}  // namespace asyncgrpc::async
