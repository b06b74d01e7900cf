// Implementation of FakeHttpServer (see fake_http_server.h).
#include "tests/support/fake_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace asyncgrpc::testing {
namespace {

// How often the serving thread looks at whether it should stop.
constexpr int kPollMs = 20;

// True when `fd` has `events` within kPollMs.
bool Ready(int fd, short events) {
  pollfd p{.fd = fd, .events = events, .revents = 0};
  return poll(&p, 1, kPollMs) > 0;
}

}  // namespace

FakeHttpServer::FakeHttpServer(Respond respond) : respond_(std::move(respond)) {
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (listener_ < 0 ||
      bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      listen(listener_, 16) != 0 ||
      getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) !=
          0) {
    ADD_FAILURE() << "FakeHttpServer: cannot listen on 127.0.0.1:0: "
                  << std::strerror(errno);
    return;
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

FakeHttpServer::~FakeHttpServer() {
  stopping_.Notify();
  if (thread_.joinable()) {
    thread_.join();
  }
  if (listener_ >= 0) {
    close(listener_);
  }
}

std::vector<std::string> FakeHttpServer::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

void FakeHttpServer::Serve() {
  int connection = 0;
  while (!stopping_.HasBeenNotified()) {
    if (!Ready(listener_, POLLIN)) {
      continue;
    }
    const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    Answer(fd, connection++);
    close(fd);
  }
}

std::string FakeHttpServer::ReadHead(int fd) {
  std::string head;
  char buffer[4096];
  while (!absl::StrContains(head, "\r\n\r\n")) {
    if (stopping_.HasBeenNotified()) {
      return "";
    }
    if (!Ready(fd, POLLIN)) {
      continue;
    }
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      return "";
    }
    head.append(buffer, static_cast<size_t>(n));
  }
  return head;
}

void FakeHttpServer::Answer(int fd, int connection) {
  std::string head = ReadHead(fd);
  if (head.empty()) {
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    requests_.push_back(std::move(head));
  }
  const std::vector<std::string> pieces = respond_(connection);
  if (pieces.empty()) {
    stopping_.WaitForNotification();
    return;
  }
  for (const std::string& piece : pieces) {
    send(fd, piece.data(), piece.size(), MSG_NOSIGNAL);
    // Not a wait for a condition: the gap is what makes the pieces arrive
    // in separate reads.
    absl::SleepFor(absl::Milliseconds(5));
  }
}

}  // namespace asyncgrpc::testing
