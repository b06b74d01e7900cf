#include "async_service/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace asyncgrpc::async {
namespace {

[[noreturn]] void Fatal(const char* what) {
  std::cerr << "event loop: " << what << ": " << std::strerror(errno)
            << std::endl;
  std::abort();
}

}  // namespace

EventLoop::EventLoop() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    Fatal("cannot create epoll/eventfd");
  }
  epoll_event event = {.events = EPOLLIN, .data = {.fd = wake_fd_}};
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event) != 0) {
    Fatal("epoll_ctl(eventfd)");
  }
  thread_ = std::thread([this] { Run(); });
}

EventLoop::~EventLoop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  thread_.join();
  close(wake_fd_);
  close(epoll_fd_);
}

void EventLoop::Post(std::function<void()> task) {
  bool was_empty;
  {
    absl::MutexLock lock(&mu_);
    was_empty = posted_.empty();
    posted_.push_back(std::move(task));
  }
  // One wake-up per batch: the loop drains every posted task when it wakes.
  if (was_empty) {
    uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
  }
}

bool EventLoop::InLoopThread() const {
  return std::this_thread::get_id() == loop_thread_id_;
}

EventLoop::TimerId EventLoop::RunAt(absl::Time when,
                                    std::function<void()> callback) {
  const TimerId id = next_timer_id_++;
  timer_index_[id] =
      timers_.emplace(when, std::make_pair(id, std::move(callback)));
  return id;
}

void EventLoop::CancelTimer(TimerId id) {
  auto it = timer_index_.find(id);
  if (it == timer_index_.end()) {
    return;
  }
  timers_.erase(it->second);
  timer_index_.erase(it);
}

void EventLoop::Defer(std::function<void()> callback) {
  deferred_.push_back(std::move(callback));
}

void EventLoop::RunDeferred() {
  // A deferred callback may defer another: it runs in this turn too.
  while (!deferred_.empty()) {
    std::vector<std::function<void()>> callbacks;
    callbacks.swap(deferred_);
    for (auto& callback : callbacks) {
      callback();
    }
  }
}

void EventLoop::WatchFd(int fd, uint32_t events, FdCallback callback) {
  epoll_event event = {.events = events, .data = {.fd = fd}};
  auto it = watches_.find(fd);
  if (it == watches_.end()) {
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
      Fatal("epoll_ctl(ADD)");
    }
    watches_.emplace(fd, Watch{events, std::move(callback)});
    return;
  }
  // ENOENT: the watched socket was closed and a new one got its number.
  if (it->second.events != events &&
      epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) != 0 &&
      (errno != ENOENT ||
       epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0)) {
    Fatal("epoll_ctl(MOD)");
  }
  it->second = Watch{events, std::move(callback)};
}

void EventLoop::UnwatchFd(int fd) {
  if (watches_.erase(fd) > 0) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  }
}

void EventLoop::ForgetFd(int fd) { watches_.erase(fd); }

void EventLoop::RunPostedTasks() {
  uint64_t count;
  (void)!read(wake_fd_, &count, sizeof(count));
  std::vector<std::function<void()>> tasks;
  {
    absl::MutexLock lock(&mu_);
    tasks.swap(posted_);
  }
  for (auto& task : tasks) {
    task();
  }
}

void EventLoop::RunDueTimers() {
  const absl::Time now = absl::Now();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    auto node = timers_.extract(timers_.begin());
    timer_index_.erase(node.mapped().first);
    node.mapped().second();
  }
}

void EventLoop::Run() {
  loop_thread_id_ = std::this_thread::get_id();
  std::array<epoll_event, 64> events;
  while (true) {
    int timeout_ms = -1;
    if (!timers_.empty()) {
      const absl::Duration left = timers_.begin()->first - absl::Now();
      timeout_ms = static_cast<int>(std::clamp<int64_t>(
          absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))), 0,
          60'000));
    }
    const int ready = epoll_wait(epoll_fd_, events.data(),
                                 static_cast<int>(events.size()), timeout_ms);
    if (ready < 0 && errno != EINTR) {
      Fatal("epoll_wait");
    }
    for (int i = 0; i < ready; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        RunPostedTasks();
        continue;
      }
      // A callback earlier in this batch may have removed or replaced this
      // watch.
      auto it = watches_.find(fd);
      if (it != watches_.end()) {
        FdCallback callback = it->second.callback;
        callback(events[i].events);
      }
    }
    RunDueTimers();
    RunDeferred();
    absl::MutexLock lock(&mu_);
    if (stopping_ && posted_.empty()) {
      return;
    }
  }
}

}  // namespace asyncgrpc::async
