#include "common/bindable_address.h"

#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace asyncgrpc {

absl::StatusOr<std::string> FirstBindableAddress(const std::string& host,
                                                 const std::string& port,
                                                 int family) {
  addrinfo hints = {};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* addresses = nullptr;
  if (const int error =
          getaddrinfo(host.c_str(), port.c_str(), &hints, &addresses);
      error != 0) {
    return absl::NotFoundError(gai_strerror(error));
  }
  std::string failure = "no address";
  std::string numeric;
  for (addrinfo* candidate = addresses; candidate != nullptr && numeric.empty();
       candidate = candidate->ai_next) {
    const int fd =
        socket(candidate->ai_family, candidate->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      failure = strerror(errno);
      continue;
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, candidate->ai_addr, candidate->ai_addrlen) == 0) {
      char text[NI_MAXHOST] = {};
      if (getnameinfo(candidate->ai_addr, candidate->ai_addrlen, text,
                      sizeof(text), nullptr, 0, NI_NUMERICHOST) == 0) {
        numeric = text;
      } else {
        failure = "cannot print the address";
      }
    } else {
      failure = strerror(errno);
    }
    close(fd);
  }
  freeaddrinfo(addresses);
  if (numeric.empty()) {
    return absl::FailedPreconditionError(failure);
  }
  return numeric;
}

}  // namespace asyncgrpc
