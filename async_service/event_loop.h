// One thread running an epoll loop: file-descriptor watches (level-triggered),
// timers, and tasks posted from other threads through an eventfd. Everything
// the async service does with libpq runs on such a loop, so connection state
// needs no locks.
//
//   EventLoop loop;
//   loop.Post([&] { loop.RunAt(absl::Now() + absl::Seconds(1), [] { ... }); });
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace asyncgrpc::async {

class EventLoop {
 public:
  using TimerId = uint64_t;
  using FdCallback = std::function<void(uint32_t events)>;

  // Starts the loop thread.
  EventLoop();
  // Stops the thread; tasks still queued are run first, timers are dropped.
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Thread-safe: runs `task` on the loop thread soon.
  void Post(std::function<void()> task);

  // The rest is for the loop thread only.
  bool InLoopThread() const;
  TimerId RunAt(absl::Time when, std::function<void()> callback);
  void CancelTimer(TimerId id);
  // Runs `callback` once this turn of the loop (its ready fds, posted tasks
  // and due timers) is over, before the loop waits again: work gathered
  // during the turn is then done once, e.g. one write for many queries.
  void Defer(std::function<void()> callback);
  // Adds or replaces the watch on `fd` (EPOLLIN / EPOLLOUT).
  void WatchFd(int fd, uint32_t events, FdCallback callback);
  void UnwatchFd(int fd);
  // Drops the watch on an `fd` that is already closed (libpq closes a
  // connection's socket itself when it fails). Closing took it out of epoll,
  // and its number may already belong to a new socket, maybe another
  // thread's: no epoll call may name it.
  void ForgetFd(int fd);

 private:
  struct Watch {
    uint32_t events;
    FdCallback callback;
  };

  void Run();
  void RunPostedTasks();
  void RunDueTimers();
  void RunDeferred();

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread::id loop_thread_id_;

  absl::Mutex mu_;
  std::vector<std::function<void()>> posted_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Loop-thread state.
  std::unordered_map<int, Watch> watches_;
  std::multimap<absl::Time, std::pair<TimerId, std::function<void()>>> timers_;
  std::unordered_map<TimerId, decltype(timers_)::iterator> timer_index_;
  TimerId next_timer_id_ = 1;
  std::vector<std::function<void()>> deferred_;

  std::thread thread_;
};

}  // namespace asyncgrpc::async
