// FirstBindableAddress: the numeric address for a host that resolves and a
// port that is free; NOT_FOUND for a host that does not resolve;
// FAILED_PRECONDITION for a port another socket listens on.
#include "common/bindable_address.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace asyncgrpc {
namespace {

TEST(FirstBindableAddressTest, NumericAddressOfAHostThatResolves) {
  absl::StatusOr<std::string> address =
      FirstBindableAddress("localhost", "0", AF_INET);
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(*address, "127.0.0.1");
}

TEST(FirstBindableAddressTest, NotFoundForAHostThatDoesNotResolve) {
  absl::StatusOr<std::string> address =
      FirstBindableAddress("no-such-host.invalid", "0", AF_UNSPEC);
  EXPECT_TRUE(absl::IsNotFound(address.status())) << address.status();
}

TEST(FirstBindableAddressTest, FailedPreconditionForAPortInUse) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in bound = {};
  bound.sin_family = AF_INET;
  bound.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(bound);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&bound), sizeof(bound)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length), 0);

  absl::StatusOr<std::string> address = FirstBindableAddress(
      "127.0.0.1", std::to_string(ntohs(bound.sin_port)), AF_INET);
  EXPECT_TRUE(absl::IsFailedPrecondition(address.status())) << address.status();
  EXPECT_EQ(address.status().message(), "Address already in use");
  close(fd);
}

}  // namespace
}  // namespace asyncgrpc
