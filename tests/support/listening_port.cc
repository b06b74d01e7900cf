// ReadListeningPort (see subprocess.h): waits for a service under test to
// report, on its captured stdout, the port it is serving on.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/support/subprocess.h"

namespace asyncgrpc::testing {
namespace {

constexpr char kListeningPrefix[] = "listening on ";

}  // namespace

absl::StatusOr<int> ReadListeningPort(Subprocess& process,
                                      absl::Duration timeout) {
  absl::StatusOr<std::string> address =
      process.ReadLineMatching(kListeningPrefix, timeout);
  if (!address.ok()) return address.status();
  const size_t colon = address->rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(*address).substr(colon + 1), &port) ||
      port <= 0 || port > 65535) {
    return absl::InternalError(absl::StrCat("cannot parse port from \"",
                                            kListeningPrefix, *address, "\""));
  }
  return port;
}

}  // namespace asyncgrpc::testing
