// Subprocess's captured stdout (see subprocess.h): the reader thread that
// drains the pipe into a bounded line buffer, and ReadLineMatching /
// ConsumeCapturedStdout, which hand those lines to the test.
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "tests/support/subprocess.h"

namespace asyncgrpc::testing {
namespace {

// Captured stdout kept for ReadLineMatching(); the oldest lines are dropped
// beyond this so a long-running chatty service cannot exhaust memory.
constexpr size_t kMaxBufferedBytes = 16 << 20;
// How many skipped lines ReadLineMatching() quotes in its error messages.
constexpr size_t kDiagnosticLines = 5;
// How often ReadLineMatching() checks whether the child has exited.
constexpr absl::Duration kExitCheckInterval = absl::Milliseconds(50);

}  // namespace

void Subprocess::StopReaderLocked() {
  if (!reader_.joinable()) return;
  char byte = 0;
  ssize_t ignored = write(wake_write_fd_, &byte, 1);
  (void)ignored;
  reader_.join();
}

void Subprocess::ReaderLoop() {
  char buffer[4096];
  bool stop_requested = false;
  while (true) {
    pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {wake_read_fd_, POLLIN, 0}};
    int ready = poll(fds, 2, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) {
      stop_requested = true;
      break;
    }
    if (fds[0].revents == 0) continue;
    ssize_t n = read(stdout_fd_, buffer, sizeof(buffer));
    if (n > 0) {
      AppendOutput(buffer, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      break;  // EOF or error.
    }
  }
  if (stop_requested) {
    // Final non-blocking drain of whatever is already in the pipe.
    while (true) {
      ssize_t n = read(stdout_fd_, buffer, sizeof(buffer));
      if (n > 0) {
        AppendOutput(buffer, static_cast<size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        break;
      }
    }
  }
  absl::MutexLock lock(&output_mutex_);
  stdout_closed_ = true;
  output_changed_.SignalAll();
}

void Subprocess::AppendOutput(const char* data, size_t size) {
  if (echo_captured_stdout_) {
    std::fprintf(stderr, "[pid %d stdout] %.*s", static_cast<int>(pid_),
                 static_cast<int>(size), data);
  }
  absl::MutexLock lock(&output_mutex_);
  std::string_view chunk(data, size);
  while (!chunk.empty()) {
    size_t newline = chunk.find('\n');
    if (newline == std::string_view::npos) {
      partial_line_.append(chunk);
      break;
    }
    partial_line_.append(chunk.substr(0, newline));
    chunk.remove_prefix(newline + 1);
    buffered_bytes_ += partial_line_.size() + 1;
    lines_.push_back(std::move(partial_line_));
    partial_line_.clear();
  }
  while (buffered_bytes_ > kMaxBufferedBytes && !lines_.empty()) {
    buffered_bytes_ -= lines_.front().size() + 1;
    lines_.pop_front();
  }
  output_changed_.SignalAll();
}

absl::StatusOr<std::string> Subprocess::ReadLineMatching(
    std::string_view prefix, absl::Duration timeout) {
  if (stdout_fd_ < 0) {
    return absl::FailedPreconditionError(
        "ReadLineMatching: stdout is not captured");
  }
  // Note: absl::string_view is not std::string_view in this abseil build.
  const absl::string_view wanted(prefix.data(), prefix.size());
  const absl::Time deadline = absl::Now() + timeout;
  std::deque<std::string> skipped;  // Last few lines, for error messages.
  auto describe_skipped = [&] {
    if (skipped.empty()) return std::string(" (no output)");
    return absl::StrCat("; last lines:\n  ", absl::StrJoin(skipped, "\n  "));
  };
  while (true) {
    {
      absl::MutexLock lock(&output_mutex_);
      while (true) {
        if (lines_.empty() && stdout_closed_ && !partial_line_.empty()) {
          // An unterminated last line still counts once stdout is closed.
          buffered_bytes_ += partial_line_.size() + 1;
          lines_.push_back(std::move(partial_line_));
          partial_line_.clear();
        }
        if (lines_.empty()) break;
        std::string line = std::move(lines_.front());
        lines_.pop_front();
        buffered_bytes_ -= line.size() + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (absl::StartsWith(line, wanted)) return line.substr(wanted.size());
        skipped.push_back(std::move(line));
        if (skipped.size() > kDiagnosticLines) skipped.pop_front();
      }
      if (stdout_closed_) {
        return absl::NotFoundError(absl::StrCat(
            "pid ", pid_, " closed stdout (exited?) without a ",
            "line starting with \"", wanted, "\"", describe_skipped()));
      }
      const absl::Time now = absl::Now();
      if (now >= deadline) {
        return absl::DeadlineExceededError(absl::StrCat(
            "pid ", pid_, " printed no line starting with \"", wanted,
            "\" within ", absl::FormatDuration(timeout), describe_skipped()));
      }
      output_changed_.WaitWithTimeout(
          &output_mutex_, std::min(kExitCheckInterval, deadline - now));
    }
    // A grandchild may keep the pipe open after the child exited; reaping the
    // child drains and closes our side so we fail fast instead of timing out.
    TryReap();
  }
}

std::string Subprocess::ConsumeCapturedStdout() {
  absl::MutexLock lock(&output_mutex_);
  std::string result;
  for (const std::string& line : lines_) absl::StrAppend(&result, line, "\n");
  result += partial_line_;
  lines_.clear();
  partial_line_.clear();
  buffered_bytes_ = 0;
  return result;
}

}  // namespace asyncgrpc::testing
