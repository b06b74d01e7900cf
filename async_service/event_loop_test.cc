#include "async_service/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace asyncgrpc::async {
namespace {

TEST(EventLoopTest, RunsPostedTasksInOrderOnItsThread) {
  EventLoop loop;
  std::vector<int> seen;
  absl::Notification done;
  for (int i = 0; i < 100; ++i) {
    loop.Post([&, i] {
      EXPECT_TRUE(loop.InLoopThread());
      seen.push_back(i);
      if (i == 99) {
        done.Notify();
      }
    });
  }
  done.WaitForNotification();
  ASSERT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(seen[i], i);
  }
  EXPECT_FALSE(loop.InLoopThread());
}

TEST(EventLoopTest, PostIsSafeFromManyThreads) {
  EventLoop loop;
  constexpr int kThreads = 8;
  constexpr int kTasks = 1000;
  absl::BlockingCounter done(kThreads * kTasks);
  int count = 0;  // loop thread only
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kTasks; ++i) {
        loop.Post([&] {
          ++count;
          done.DecrementCount();
        });
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  done.Wait();
  absl::Notification read;
  int total = 0;
  loop.Post([&] {
    total = count;
    read.Notify();
  });
  read.WaitForNotification();
  EXPECT_EQ(total, kThreads * kTasks);
}

TEST(EventLoopTest, TimersFireInDeadlineOrderAndCancelledOnesNever) {
  EventLoop loop;
  std::vector<int> fired;
  absl::Notification done;
  loop.Post([&] {
    const absl::Time now = absl::Now();
    loop.RunAt(now + absl::Milliseconds(30), [&] { fired.push_back(3); });
    loop.RunAt(now + absl::Milliseconds(10), [&] { fired.push_back(1); });
    const EventLoop::TimerId cancelled =
        loop.RunAt(now + absl::Milliseconds(20), [&] { fired.push_back(2); });
    loop.RunAt(now + absl::Milliseconds(40), [&] { done.Notify(); });
    loop.CancelTimer(cancelled);
    loop.CancelTimer(cancelled);  // twice is harmless
  });
  done.WaitForNotification();
  EXPECT_EQ(fired, (std::vector<int>{1, 3}));
}

TEST(EventLoopTest, TimerDoesNotFireEarly) {
  EventLoop loop;
  absl::Notification done;
  absl::Time scheduled;
  absl::Time ran;
  loop.Post([&] {
    scheduled = absl::Now() + absl::Milliseconds(50);
    loop.RunAt(scheduled, [&] {
      ran = absl::Now();
      done.Notify();
    });
  });
  done.WaitForNotification();
  EXPECT_GE(ran, scheduled);
}

TEST(EventLoopTest, WatchesFileDescriptorsUntilUnwatched) {
  EventLoop loop;
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::atomic<int> readable{0};
  absl::Notification first;
  loop.Post([&] {
    loop.WatchFd(fd, EPOLLIN, [&](uint32_t events) {
      EXPECT_TRUE(events & EPOLLIN);
      uint64_t value;
      ASSERT_EQ(read(fd, &value, sizeof(value)),
                static_cast<ssize_t>(sizeof(value)));
      if (++readable == 1) {
        first.Notify();
      }
    });
  });
  uint64_t one = 1;
  ASSERT_EQ(write(fd, &one, sizeof(one)), static_cast<ssize_t>(sizeof(one)));
  first.WaitForNotification();
  absl::Notification unwatched;
  loop.Post([&] {
    loop.UnwatchFd(fd);
    unwatched.Notify();
  });
  unwatched.WaitForNotification();
  ASSERT_EQ(write(fd, &one, sizeof(one)), static_cast<ssize_t>(sizeof(one)));
  // A round trip through the loop after the write: had the watch survived, it
  // would have fired.
  absl::Notification flushed;
  loop.Post([&] { flushed.Notify(); });
  flushed.WaitForNotification();
  EXPECT_EQ(readable.load(), 1);
  close(fd);
}

// libpq closes a failed connection's socket itself, and a new socket may get
// its number: the loop must watch that one afresh, whether the old watch was
// forgotten (ForgetFd) or is replaced with other events (epoll said ENOENT).
TEST(EventLoopTest, WatchesANewSocketThatReusesAClosedOnesNumber) {
  EventLoop loop;
  auto run = [&loop](std::function<void()> task) {
    absl::Notification done;
    loop.Post([&] {
      task();
      done.Notify();
    });
    done.WaitForNotification();
  };
  auto noop = [](uint32_t) {};
  for (const bool forget : {true, false}) {
    SCOPED_TRACE(forget ? "ForgetFd" : "watch replaced");
    const int old_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ASSERT_GE(old_fd, 0);
    run([&] { loop.WatchFd(old_fd, EPOLLIN, noop); });
    close(old_fd);
    if (forget) {
      run([&] { loop.ForgetFd(old_fd); });
    }
    const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ASSERT_EQ(fd, old_fd) << "the kernel gives out the lowest free number";
    absl::Notification readable;
    run([&] {
      loop.WatchFd(fd, forget ? EPOLLIN : EPOLLIN | EPOLLPRI, [&](uint32_t) {
        uint64_t value;
        (void)!read(fd, &value, sizeof(value));
        readable.Notify();
      });
    });
    uint64_t one = 1;
    ASSERT_EQ(write(fd, &one, sizeof(one)), static_cast<ssize_t>(sizeof(one)));
    EXPECT_TRUE(readable.WaitForNotificationWithTimeout(absl::Seconds(10)));
    run([&] { loop.UnwatchFd(fd); });
    close(fd);
  }
}

TEST(EventLoopTest, DeferredCallbacksRunOnceTheTurnIsOver) {
  EventLoop loop;
  std::vector<std::string> seen;
  absl::Notification done;
  loop.Post([&] {
    loop.Defer([&] {
      seen.push_back("deferred");
      // Deferred from a deferred callback: still this turn, before waiting.
      loop.Defer([&] {
        seen.push_back("deferred again");
        done.Notify();
      });
    });
    seen.push_back("task");
  });
  done.WaitForNotification();
  EXPECT_EQ(seen,
            (std::vector<std::string>{"task", "deferred", "deferred again"}));
}

TEST(EventLoopTest, DestructionRunsTasksAlreadyPosted) {
  std::atomic<int> ran{0};
  {
    EventLoop loop;
    for (int i = 0; i < 10; ++i) {
      loop.Post([&] { ++ran; });
    }
  }
  EXPECT_EQ(ran.load(), 10);
}

}  // namespace
}  // namespace asyncgrpc::async
