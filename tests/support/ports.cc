// Implementation of PickFreePort (see ports.h).
#include "tests/support/ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace asyncgrpc::testing {
namespace {

constexpr int kMaxAttempts = 50;

absl::Mutex ports_mutex(absl::kConstInit);
std::set<int>& HandedOutPorts() ABSL_EXCLUSIVE_LOCKS_REQUIRED(ports_mutex) {
  static auto* ports = new std::set<int>();
  return *ports;
}

// Returns a kernel-assigned free port, or -1 with errno set.
int BindEphemeralPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address;
  std::memset(&address, 0, sizeof(address));
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  const int saved_errno = errno;
  close(fd);
  errno = saved_errno;
  return port;
}

}  // namespace

int PickFreePort() {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    const int port = BindEphemeralPort();
    if (port < 0) {
      ADD_FAILURE() << "PickFreePort: cannot bind 127.0.0.1:0: "
                    << std::strerror(errno);
      return -1;
    }
    absl::MutexLock lock(&ports_mutex);
    if (HandedOutPorts().insert(port).second) return port;
  }
  ADD_FAILURE() << "PickFreePort: kernel kept returning ports already handed "
                   "out";
  return -1;
}

}  // namespace asyncgrpc::testing
