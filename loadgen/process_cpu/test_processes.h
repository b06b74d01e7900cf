// For process_cpu/'s tests only: real processes to measure. ForkedProcess
// forks a child that runs a function, with two pipes to pace it (the test
// says "go", the child says "done"), and kills and reaps it when destroyed;
// Burn* spend a known amount of CPU.
//
//   ForkedProcess child([](ForkedProcess& self) {
//     self.WaitForGo();
//     BurnProcessCpuUntil(absl::Milliseconds(300));
//     self.SignalDone();
//     WaitToBeKilled();
//   });
//   child.Go();
//   ASSERT_TRUE(child.WaitForDone(absl::Seconds(60)));
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace asyncgrpc::loadgen {

inline absl::Duration CpuClock(clockid_t clock) {
  timespec now;
  clock_gettime(clock, &now);
  return absl::DurationFromTimespec(now);
}

// Busy-loops until this process has used `total` of CPU since it started.
inline void BurnProcessCpuUntil(absl::Duration total) {
  while (CpuClock(CLOCK_PROCESS_CPUTIME_ID) < total) {
  }
}

// Busy-loops on this thread for `cpu` of its CPU time (not wall time, so a
// loaded machine only makes it slower).
inline void BurnThreadCpu(absl::Duration cpu) {
  const absl::Duration end = CpuClock(CLOCK_THREAD_CPUTIME_ID) + cpu;
  while (CpuClock(CLOCK_THREAD_CPUTIME_ID) < end) {
  }
}

[[noreturn]] inline void WaitToBeKilled() {
  for (;;) {
    pause();
  }
}

// A pid no process has now: a child's, once it exited and was reaped.
inline int DeadPid() {
  const pid_t pid = fork();
  if (pid == 0) {
    _exit(0);
  }
  waitpid(pid, nullptr, 0);
  return pid;
}

class ForkedProcess {
 public:
  // Runs `body` in a forked child, which exits when it returns.
  explicit ForkedProcess(const std::function<void(ForkedProcess&)>& body) {
    if (pipe2(go_, O_CLOEXEC) != 0 || pipe2(done_, O_CLOEXEC) != 0) {
      return;
    }
    pid_ = fork();
    if (pid_ == 0) {
      close(go_[1]);
      close(done_[0]);
      body(*this);
      _exit(0);
    }
    close(go_[0]);
    close(done_[1]);
    fcntl(done_[0], F_SETFL, O_NONBLOCK);
  }
  ForkedProcess(const ForkedProcess&) = delete;
  ForkedProcess& operator=(const ForkedProcess&) = delete;

  ~ForkedProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      close(go_[1]);
      close(done_[0]);
    }
  }

  // The child's pid; <= 0 when it could not be forked.
  int pid() const { return pid_; }

  // In the test: lets the child's WaitForGo return.
  void Go() { (void)!write(go_[1], "g", 1); }

  // In the test: whether the child called SignalDone within `timeout`,
  // calling `between` at each poll (loadgen/ includes no poll.h).
  bool WaitForDone(
      absl::Duration timeout, const std::function<void()>& between = [] {}) {
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      char byte;
      const ssize_t n = read(done_[0], &byte, 1);
      if (n == 1) {
        return true;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        return false;  // The child died.
      }
      if (absl::Now() >= deadline) {
        return false;
      }
      between();
      absl::SleepFor(absl::Milliseconds(5));
    }
  }

  // In the child.
  void WaitForGo() {
    char byte;
    while (read(go_[0], &byte, 1) < 0 && errno == EINTR) {
    }
  }
  void SignalDone() { (void)!write(done_[1], "d", 1); }

 private:
  int pid_ = -1;
  int go_[2] = {-1, -1};
  int done_[2] = {-1, -1};
};

}  // namespace asyncgrpc::loadgen
