// FakeHttpServer: a tiny HTTP server on 127.0.0.1:0 for the tests of HTTP
// clients (loadgen's --metrics_url scraper), where what a real server would
// need to be coaxed into (a silent peer, an answer in pieces, a wrong status)
// is just the bytes the test hands it. It serves one connection at a time:
// reads the request head, records it, sends the pieces `respond` returns for
// that connection (pausing a few milliseconds between pieces, so the client
// reads them separately) and closes. An empty list means "never answer": the
// connection stays open, unanswered, until the server is destroyed.
//
//   FakeHttpServer server([](int connection) {
//     return std::vector<std::string>{
//         "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "up 1\n"};
//   });
//   Fetch(absl::StrCat("http://127.0.0.1:", server.port(), "/metrics"));
//   EXPECT_TRUE(absl::StartsWith(server.requests()[0], "GET /metrics "));
#pragma once

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace asyncgrpc::testing {

class FakeHttpServer {
 public:
  // The pieces of the answer to the `connection`-th connection (from 0).
  using Respond = std::function<std::vector<std::string>(int connection)>;

  // Listens at once (a gtest failure if it cannot); serves on a thread.
  explicit FakeHttpServer(Respond respond);
  // Stops serving, closing any connection left unanswered.
  ~FakeHttpServer();

  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  int port() const { return port_; }

  // The request heads (request line and headers, up to the empty line)
  // received so far, in order.
  std::vector<std::string> requests() const;

 private:
  void Serve();
  // Reads the request head from `fd`; "" when the peer closed first or the
  // server is stopping.
  std::string ReadHead(int fd);
  void Answer(int fd, int connection);

  const Respond respond_;
  int listener_ = -1;
  int port_ = -1;
  absl::Notification stopping_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::vector<std::string> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace asyncgrpc::testing
