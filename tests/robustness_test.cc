// The bad-input surface outside the API's own rules: every loadgen flag with a
// wrong value, requests over gRPC's 4 MiB receive limit, bytes on the gRPC
// port that are not gRPC at all, and scripts/local-postgres on a busy port,
// without PostgreSQL, or with a stale or foreign data dir. Each must end in one
// clear answer, and the service must keep serving.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/service_harness.h"
#include "tests/support/ports.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/wait.h"

namespace asyncgrpc::testing {
namespace {

using items::v1::GetItemRequest;
using items::v1::Item;
using items::v1::ListItemsRequest;
using items::v1::ListItemsResponse;

// Runs `command` through the shell with stdout and stderr merged.
std::string RunShell(const std::string& command, int* exit_code,
                     absl::Duration timeout = absl::Seconds(60)) {
  absl::StatusOr<std::string> output =
      RunCommand({"/bin/sh", "-c", command + " 2>&1"}, timeout, exit_code);
  EXPECT_TRUE(output.ok()) << output.status();
  return output.value_or("");
}

std::string Quoted(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) {
    absl::StrAppend(&text, " '", word, "'");
  }
  return text;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// ---------------------------------------------------------------- loadgen

struct BadLoadgenFlag {
  std::string flag;  // For the --help coverage check.
  std::vector<std::string> args;
  std::string expected_text;
};

TEST(LoadgenFlagsTest, EveryFlagRejectsBadValuesInOneLine) {
  absl::StatusOr<TempDir> dir = TempDir::Create("asyncgrpc-loadgen-flags-");
  ASSERT_TRUE(dir.ok()) << dir.status();
  const std::string out = dir->path() + "/out";
  const std::string not_pem = dir->path() + "/not-a-pem.txt";
  std::ofstream(not_pem) << "not a certificate\n";
  const std::string a_file = dir->path() + "/a-file";
  std::ofstream(a_file) << "x\n";
  // Valid except for the flag under test (no target answers on port 1, so a
  // bad value that slipped through would end in "cannot reach target").
  auto with_base = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--target=a=127.0.0.1:1", "--users=1"});
    return args;
  };
  const std::vector<BadLoadgenFlag> table = {
      {"target", {"--target=nonsense", "--users=1"}, "--target"},
      {"target", {"--target=a=127.0.0.1:0", "--users=1"}, "--target"},
      {"target", {"--target=a=127.0.0.1:70000", "--users=1"}, "--target"},
      {"target", {"--target==127.0.0.1:1", "--users=1"}, "--target"},
      {"target",
       {"--target=a=127.0.0.1:1", "--target=a=127.0.0.1:2", "--users=1"},
       "given twice"},
      {"target", {"--users=1"}, "--target"},
      {"users", {"--target=a=127.0.0.1:1", "--users=x"}, "--users"},
      {"users", {"--target=a=127.0.0.1:1", "--users=0"}, "--users"},
      {"users", {"--target=a=127.0.0.1:1", "--users=10:5:1"}, "--users"},
      {"users", {"--target=a=127.0.0.1:1", "--users=1.5"}, "--users"},
      {"users", {"--target=a=127.0.0.1:1", "--users=1:10:0"}, "--users"},
      {"users", {"--target=a=127.0.0.1:1", "--users=1e9"}, "--users"},
      {"users", {"--target=a=127.0.0.1:1", "--users=1:2000:1"}, "--users"},
      {"rate", {"--target=a=127.0.0.1:1", "--rate=x"}, "--rate"},
      {"rate", {"--target=a=127.0.0.1:1", "--rate=0"}, "--rate"},
      {"rate", {"--target=a=127.0.0.1:1", "--rate=1:2"}, "--rate"},
      {"rate", {"--target=a=127.0.0.1:1", "--rate=-5"}, "--rate"},
      {"rate", {"--target=a=127.0.0.1:1", "--rate=inf"}, "--rate"},
      {"rate", {"--target=a=127.0.0.1:1", "--rate=1e300"}, "--rate"},
      {"rate",
       {"--target=a=127.0.0.1:1", "--users=1", "--rate=1"},
       "exactly one"},
      {"step_duration", with_base({"--step_duration=x"}), "--step_duration"},
      {"step_duration", with_base({"--step_duration=0"}), "--step_duration"},
      {"step_duration", with_base({"--step_duration=-1s"}), "--step_duration"},
      {"step_duration", with_base({"--step_duration=inf"}), "--step_duration"},
      {"warmup", with_base({"--warmup=x"}), "--warmup"},
      {"warmup", with_base({"--warmup=-1s"}), "--warmup"},
      {"warmup", with_base({"--warmup=10s"}), "--warmup"},
      {"spawn_rate", with_base({"--spawn_rate=x"}), "--spawn_rate"},
      {"spawn_rate", with_base({"--spawn_rate=0"}), "--spawn_rate"},
      {"spawn_rate", with_base({"--spawn_rate=nan"}), "--spawn_rate"},
      {"spawn_rate", with_base({"--spawn_rate=inf"}), "--spawn_rate"},
      {"think_time", with_base({"--think_time=x"}), "--think_time"},
      {"think_time", with_base({"--think_time=-1s"}), "--think_time"},
      {"think_time", with_base({"--think_time=inf"}), "--think_time"},
      {"scenario", with_base({"--scenario=post"}), "scenario"},
      {"scenario", with_base({"--scenario=mix:get=-1"}), "scenario"},
      {"scenario", with_base({"--scenario=mix:get=0"}), "scenario"},
      {"scenario", with_base({"--scenario=mix:"}), "scenario"},
      {"deadline", with_base({"--deadline=x"}), "--deadline"},
      {"deadline", with_base({"--deadline=0"}), "--deadline"},
      {"deadline", with_base({"--deadline=inf"}), "--deadline"},
      {"channels", with_base({"--channels=x"}), "--channels"},
      {"channels", with_base({"--channels=0"}), "--channels"},
      {"channels", with_base({"--channels=257"}), "--channels"},
      {"max_in_flight", with_base({"--max_in_flight=x"}), "--max_in_flight"},
      {"max_in_flight", with_base({"--max_in_flight=0"}), "--max_in_flight"},
      {"seed", with_base({"--seed=x"}), "--seed"},
      {"seed", with_base({"--seed=-1"}), "--seed"},
      {"item_ids", with_base({"--item_ids=x"}), "--item_ids"},
      {"item_ids", with_base({"--item_ids=0"}), "--item_ids"},
      {"slowdown_factor", with_base({"--slowdown_factor=x"}),
       "--slowdown_factor"},
      {"slowdown_factor", with_base({"--slowdown_factor=1"}),
       "--slowdown_factor"},
      {"slowdown_factor", with_base({"--slowdown_factor=nan"}),
       "--slowdown_factor"},
      {"slowdown_factor", with_base({"--slowdown_factor=inf"}),
       "--slowdown_factor"},
      {"error_threshold", with_base({"--error_threshold=x"}),
       "--error_threshold"},
      {"error_threshold", with_base({"--error_threshold=-0.1"}),
       "--error_threshold"},
      {"error_threshold", with_base({"--error_threshold=1"}),
       "--error_threshold"},
      {"error_threshold", with_base({"--error_threshold=nan"}),
       "--error_threshold"},
      {"stop_on_errors", with_base({"--stop_on_errors=x"}), "--stop_on_errors"},
      {"stop_on_errors", with_base({"--stop_on_errors=-2"}),
       "--stop_on_errors"},
      {"out", with_base({"--out=/proc/loadgen-out"}), "--out"},
      {"out", with_base({"--out=" + a_file + "/sub"}), "--out"},
      {"tls_ca", with_base({"--tls_ca=/nonexistent.pem"}), "--tls_ca"},
      {"tls_ca", with_base({"--tls_ca=" + not_pem}), "--tls_ca"},
      {"tls_ca", with_base({"--tls_ca=" + dir->path()}), "--tls_ca"},
      {"tls_server_name", with_base({"--tls_server_name=localhost"}),
       "--tls_server_name"},
      {"shard_count", with_base({"--shard_count=x"}), "--shard_count"},
      {"shard_count", with_base({"--shard_count=0"}), "--shard_count"},
      {"shard_count", with_base({"--shard_count=10001"}), "--shard_count"},
      {"shard_index", with_base({"--shard_index=x"}), "--shard_index"},
      {"shard_index", with_base({"--shard_index=-1"}), "--shard_index"},
      {"shard_index", with_base({"--shard_index=3", "--shard_count=3"}),
       "--shard_index"},
      {"start_at", with_base({"--start_at=tomorrow"}), "--start_at"},
      {"start_at", with_base({"--start_at=2026-13-01T00:00:00Z"}),
       "--start_at"},
      {"start_at", with_base({"--start_at=2020-01-01T00:00:00Z"}),
       "in the past"},
      {"start_at", with_base({"--start_at=1577836800"}), "in the past"},
      {"print_results", with_base({"--print_results=maybe"}),
       "--print_results"},
      {"metrics_url",
       with_base({"--metrics_url=nobody=http://127.0.0.1:9/metrics"}),
       "no --target is named"},
      {"metrics_url", with_base({"--metrics_url=a=https://127.0.0.1:9/"}),
       "--metrics_url"},
      {"metrics_url", with_base({"--metrics_url=a=http://127.0.0.1:0/"}),
       "--metrics_url"},
      {"metrics_url", with_base({"--metrics_url=http://127.0.0.1:9/"}),
       "--metrics_url"},
      {"slowdown_floor", with_base({"--slowdown_floor=x"}), "--slowdown_floor"},
      {"slowdown_floor", with_base({"--slowdown_floor=-1ms"}),
       "--slowdown_floor"},
      {"cpu_pid", with_base({"--cpu_pid=db=99999999"}), "no process 99999999"},
      {"cpu_pid", with_base({"--cpu_pid=postgres=1"}),
       "neither a --target's name nor \"db\""},
      {"cpu_pid", with_base({"--cpu_pid=a"}), "--cpu_pid must be NAME=PID"},
      {"slo", with_base({"--slo=p99<50ms"}), "--slo"},
      {"slo", with_base({"--slo=p99<=5ms,p99<=6ms"}), "given twice"},
      {"slo", with_base({"--slo=p99<=5ms", "--shard_count=2"}),
       "distributed run"},
      {"slo_precision", with_base({"--slo_precision=0"}), "--slo_precision"},
      {"slo_precision", with_base({"--slo_precision=60%"}), "--slo_precision"},
      {"repeat", with_base({"--repeat=0"}), "--repeat"},
      {"repeat", with_base({"--repeat=x"}), "--repeat"},
      {"repeat", with_base({"--repeat=2", "--start_at=1795615200"}),
       "--start_at"},
      {"description", with_base({"--description=two\nlines"}),
       "--description must be one line"},
      {"description", with_base({"--description=" + std::string(2001, 'x')}),
       "--description must be at most 2000"},
      {"fail_on_regression", with_base({"--fail_on_regression=x"}),
       "--fail_on_regression"},
      {"fail_on_regression", with_base({"--fail_on_regression=5"}),
       "loadgen diff"},
      {"fail_on_regression",
       {"diff", a_file, a_file, "--fail_on_regression=0"},
       "--fail_on_regression"},
  };
  std::set<std::string> covered;
  for (const BadLoadgenFlag& row : table) {
    covered.insert(row.flag);
    std::vector<std::string> args = row.args;
    if (row.flag != "out") {
      args.push_back("--out=" + out);
    }
    SCOPED_TRACE(absl::StrJoin(args, " "));
    int exit_code = -1;
    const std::string output =
        RunShell(BinaryPath("loadgen") + Quoted(args), &exit_code);
    EXPECT_EQ(exit_code, 2) << output;
    EXPECT_EQ(Lines(output).size(), 1u) << output;
    EXPECT_TRUE(absl::StrContains(output, row.expected_text)) << output;
    EXPECT_FALSE(absl::StrContains(output, "cannot reach target")) << output;
  }
  EXPECT_FALSE(std::filesystem::exists(out));

  int exit_code = -1;
  const std::string help =
      RunShell(BinaryPath("loadgen") + " --help", &exit_code);
  EXPECT_EQ(exit_code, 0);
  const std::regex flag_line(R"(\n  --([a-z_0-9]+) \(default)");
  int flags = 0;
  for (auto it = std::sregex_iterator(help.begin(), help.end(), flag_line);
       it != std::sregex_iterator(); ++it, ++flags) {
    EXPECT_TRUE(covered.count((*it)[1])) << "--" << (*it)[1] << " untested";
  }
  EXPECT_GE(flags, 19) << help;
}

// ------------------------------------------------- requests and raw bytes

class ServiceRobustnessTest : public ::testing::TestWithParam<ServiceKind> {
 protected:
  void SetUp() override {
    auto service = RunningService::Start(GetParam(), SharedDatabaseUri());
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
    stub_ = service_->NewStub();
    port_ = std::stoi(
        service_->address().substr(service_->address().rfind(':') + 1));
  }

  grpc::Status ListItems(const std::string& page_token,
                         ListItemsResponse* response,
                         items::v1::ItemService::Stub* stub = nullptr) {
    ListItemsRequest request;
    request.set_page_token(page_token);
    auto context = ContextWithTimeout(absl::Seconds(20));
    return (stub != nullptr ? stub : stub_.get())
        ->ListItems(context.get(), request, response);
  }

  // A normal call answers as usual, on a fresh connection as well as on the
  // test's long-lived one, and the process is still alive.
  void ExpectStillServing() {
    ASSERT_TRUE(service_->process().Running());
    const auto fresh = service_->NewStub();
    for (items::v1::ItemService::Stub* stub : {stub_.get(), fresh.get()}) {
      GetItemRequest request;
      request.set_id(25);
      Item item;
      auto context = ContextWithTimeout(absl::Seconds(10));
      const grpc::Status status = stub->GetItem(context.get(), request, &item);
      EXPECT_TRUE(status.ok()) << status.error_message();
      EXPECT_EQ(item.id(), 25);
    }
  }

  // Connects to the service's port over plain TCP; -1 on failure.
  int Connect() {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port_);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&address),
                           sizeof(address)) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }

  // Writes `bytes` (as much as the server takes), optionally reads whatever
  // the server answers for up to a second, and closes.
  void SendRaw(const std::string& bytes, bool read_reply = true) {
    const int fd = Connect();
    ASSERT_GE(fd, 0) << "cannot connect to " << service_->address();
    timeval timeout = {.tv_sec = 1, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n =
          send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;  // The server hung up on us: fine.
      sent += n;
    }
    if (read_reply) {
      shutdown(fd, SHUT_WR);
      char buffer[4096];
      const absl::Time deadline = absl::Now() + absl::Seconds(1);
      while (absl::Now() < deadline &&
             recv(fd, buffer, sizeof(buffer), 0) > 0) {
      }
    }
    close(fd);
  }

  std::unique_ptr<RunningService> service_;
  std::unique_ptr<items::v1::ItemService::Stub> stub_;
  int port_ = 0;
};

// A 5 MiB page token is over gRPC's default 4 MiB receive limit: the caller
// gets RESOURCE_EXHAUSTED, and the same connection serves the next call.
TEST_P(ServiceRobustnessTest, OversizedRequestIsRefusedAndTheNextCallWorks) {
  ListItemsResponse response;
  grpc::Status status = ListItems(std::string(5 << 20, 'A'), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status.error_message();
  // Within the limit, the same garbage is an ordinary bad token.
  status = ListItems(std::string(3 << 20, 'A'), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  response.Clear();
  status = ListItems("", &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.items_size(), 800);
  // Several at once, on several connections.
  std::vector<std::thread> threads;
  std::atomic<int> exhausted = 0;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto stub = service_->NewStub();
      ListItemsResponse ignored;
      if (ListItems(std::string(6 << 20, 'B'), &ignored, stub.get())
              .error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ++exhausted;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(exhausted.load(), 4);
  ExpectStillServing();
}

// Bytes that are not gRPC: the connection is dropped, the service stays up.
TEST_P(ServiceRobustnessTest, RandomBytesOnTheGrpcPort) {
  const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  std::mt19937 random(42);
  auto garbage = [&random](size_t size) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    return bytes;
  };
  // A frame header: 24-bit length, type, flags, 31-bit stream id.
  auto frame = [](uint32_t length, uint8_t type, uint8_t flags,
                  uint32_t stream) {
    return std::string{
        static_cast<char>(length >> 16), static_cast<char>(length >> 8),
        static_cast<char>(length),       static_cast<char>(type),
        static_cast<char>(flags),        static_cast<char>(stream >> 24),
        static_cast<char>(stream >> 16), static_cast<char>(stream >> 8),
        static_cast<char>(stream)};
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"garbage", garbage(64 << 10)},
      {"one byte", std::string(1, '\0')},
      {"truncated preface", preface.substr(0, 10)},
      {"preface then garbage", preface + garbage(16 << 10)},
      {"preface, huge frame length", preface + frame(0xffffff, 0x4, 0, 0)},
      {"preface, headers with bad hpack",
       preface + frame(0, 0x4, 0, 0) + frame(64, 0x1, 0x5, 1) + garbage(64)},
      {"preface, data on stream 0",
       preface + frame(0, 0x4, 0, 0) + frame(8, 0x0, 0, 0) + garbage(8)},
      {"preface, settings on a stream",
       preface + frame(6, 0x4, 0, 3) + garbage(6)},
      {"http/1.1", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"tls client hello",
       std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc", 9) + garbage(508)},
  };
  for (const auto& [name, bytes] : cases) {
    SCOPED_TRACE(name);
    SendRaw(bytes);
    ExpectStillServing();
  }
  // Sent without waiting for an answer.
  SendRaw(preface + garbage(1024), /*read_reply=*/false);
  // A truncated preface on a connection left open while others are served.
  const int held = Connect();
  ASSERT_GE(held, 0);
  ASSERT_EQ(send(held, preface.data(), 10, MSG_NOSIGNAL), 10);
  ExpectStillServing();
  close(held);
  // Many connections: opened and dropped at once, and many open together.
  for (int i = 0; i < 300; ++i) {
    const int fd = Connect();
    ASSERT_GE(fd, 0) << i;
    close(fd);
  }
  std::vector<int> open_fds;
  for (int i = 0; i < 100; ++i) {
    const int fd = Connect();
    ASSERT_GE(fd, 0) << i;
    open_fds.push_back(fd);
  }
  ExpectStillServing();
  for (int fd : open_fds) close(fd);
  ExpectStillServing();
  EXPECT_EQ(service_->Health("items.v1.ItemService")
                .value_or(grpc::health::v1::HealthCheckResponse::UNKNOWN),
            grpc::health::v1::HealthCheckResponse::SERVING);
}

INSTANTIATE_TEST_SUITE_P(Services, ServiceRobustnessTest,
                         ::testing::ValuesIn(AllServices()),
                         [](const auto& info) { return info.param.name; });

// ---------------------------------------------------- scripts/local-postgres

class LocalPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TempDir> dir = TempDir::Create("asyncgrpc-local-pg-");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_.emplace(*std::move(dir));
  }

  struct Outcome {
    int exit_code = -1;
    std::string stderr_text;
  };

  // Runs the script with `args` (and `env` assignments), stdout discarded.
  Outcome Run(const std::vector<std::string>& args,
              const std::string& env = "") {
    Outcome outcome;
    absl::StatusOr<std::string> output =
        RunCommand({"/bin/sh", "-c",
                    absl::StrCat(env, " '", PostgresCluster::ScriptPath(), "'",
                                 Quoted(args), " 2>&1 >/dev/null")},
                   absl::Seconds(180), &outcome.exit_code);
    EXPECT_TRUE(output.ok()) << output.status();
    outcome.stderr_text = output.value_or("");
    return outcome;
  }

  // Failed, and said why in exactly one line: the last one, naming `text`.
  static void ExpectOneLineError(const Outcome& outcome,
                                 const std::string& text) {
    EXPECT_NE(outcome.exit_code, 0) << outcome.stderr_text;
    const std::vector<std::string> lines = Lines(outcome.stderr_text);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                            [](const std::string& line) {
                              return absl::StrContains(line, "error");
                            }),
              1)
        << outcome.stderr_text;
    EXPECT_TRUE(absl::StartsWith(lines.back(), "local-postgres: error: "))
        << outcome.stderr_text;
    EXPECT_TRUE(absl::StrContains(lines.back(), text)) << outcome.stderr_text;
  }

  // Whatever a test left running in its data dirs is stopped.
  void TearDown() override {
    for (const std::string& name : {"pgdata"}) {
      const std::string data_dir = dir_->path() + "/" + name;
      if (std::filesystem::exists(data_dir + "/postmaster.pid")) {
        Run({"stop", "--data-dir", data_dir});
      }
    }
  }

  // `local-postgres pid`'s exit code and stdout.
  std::pair<int, std::string> PidOf(const std::string& data_dir) {
    int exit_code = -1;
    absl::StatusOr<std::string> out = RunCommand(
        {"/bin/sh", "-c",
         absl::StrCat("'", PostgresCluster::ScriptPath(), "'",
                      Quoted({"pid", "--data-dir", data_dir}), " 2>/dev/null")},
        absl::Seconds(30), &exit_code);
    EXPECT_TRUE(out.ok()) << out.status();
    return {exit_code, out.value_or("")};
  }

  std::vector<std::string> StartArgs(int port, const std::string& data_dir) {
    return {"start", "--port", std::to_string(port), "--data-dir", data_dir};
  }

  std::optional<TempDir> dir_;
};

TEST_F(LocalPostgresTest, BusyPort) {
  const int port = PickFreePort();
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(
      bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
      0);
  ASSERT_EQ(listen(listener, 8), 0);
  const std::string data_dir = dir_->path() + "/pgdata";
  ExpectOneLineError(Run(StartArgs(port, data_dir)), "already in use");
  // Found before initdb spent time on a cluster that could not start.
  EXPECT_FALSE(std::filesystem::exists(data_dir + "/PG_VERSION"));
  close(listener);
}

TEST_F(LocalPostgresTest, MissingPostgresInstall) {
  ExpectOneLineError(Run(StartArgs(PickFreePort(), dir_->path() + "/pgdata"),
                         "PG_BIN=/nonexistent"),
                     "PostgreSQL 15 not found");
}

TEST_F(LocalPostgresTest, DataDirThatIsNotACluster) {
  const std::string data_dir = dir_->path() + "/not-a-cluster";
  std::filesystem::create_directory(data_dir);
  std::ofstream(data_dir + "/notes.txt") << "someone else's files\n";
  ExpectOneLineError(Run(StartArgs(PickFreePort(), data_dir)),
                     "neither empty nor a PostgreSQL data dir");
  // Left as it was.
  EXPECT_TRUE(std::filesystem::exists(data_dir + "/notes.txt"));
  EXPECT_FALSE(std::filesystem::exists(data_dir + "/PG_VERSION"));
}

TEST_F(LocalPostgresTest, DataDirThatIsAFile) {
  const std::string path = dir_->path() + "/a-file";
  std::ofstream(path) << "x\n";
  ExpectOneLineError(Run(StartArgs(PickFreePort(), path)), "not a directory");
}

// A cluster stopped uncleanly leaves postmaster.pid behind. With its PID dead,
// start recovers; with the PID now another live process (not answering on the
// port), start says so in one line; a cluster missing a vital file fails to
// start with the server's own reason in one line.
TEST_F(LocalPostgresTest, StaleDataDir) {
  const std::string data_dir = dir_->path() + "/pgdata";
  int port = 0;
  {
    auto cluster = PostgresCluster::Start(data_dir);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    port = (*cluster)->port();
    // `pid` names the postmaster (loadgen --cpu_pid db=PID); stopped, none.
    std::ifstream pid_file(data_dir + "/postmaster.pid");
    std::string postmaster;
    std::getline(pid_file, postmaster);
    EXPECT_EQ(PidOf(data_dir), std::make_pair(0, postmaster + "\n"));
    ASSERT_TRUE((*cluster)->Stop().ok());
    EXPECT_EQ(PidOf(data_dir).first, 3);
  }
  struct stat owner;
  ASSERT_EQ(stat(data_dir.c_str(), &owner), 0);
  const std::string pid_file = data_dir + "/postmaster.pid";
  auto write_pid_file = [&](long pid) {
    {
      std::ofstream out(pid_file);
      // pid, data dir, start time, port (no shared memory key to check).
      out << pid << "\n" << data_dir << "\n1700000000\n" << port << "\n";
    }
    ASSERT_EQ(chown(pid_file.c_str(), owner.st_uid, owner.st_gid), 0);
    ASSERT_EQ(chmod(pid_file.c_str(), 0600), 0);
  };

  // The PID belongs to a live process of the cluster's OS user that is not a
  // postmaster.
  std::vector<std::string> sleeper = {"sleep", "300"};
  if (geteuid() == 0) {
    sleeper.insert(sleeper.begin(),
                   {"setpriv", absl::StrCat("--reuid=", owner.st_uid),
                    absl::StrCat("--regid=", owner.st_gid), "--clear-groups"});
  }
  auto process = Subprocess::Start(sleeper, {.capture_stdout = false});
  ASSERT_TRUE(process.ok()) << process.status();
  write_pid_file((*process)->pid());
  ExpectOneLineError(Run(StartArgs(port, data_dir)), "postmaster.pid");
  EXPECT_TRUE((*process)->Running());
  process->reset();

  // The PID is dead: PostgreSQL removes the stale file and starts.
  std::ifstream pid_max_file("/proc/sys/kernel/pid_max");
  long pid_max = 4194304;
  pid_max_file >> pid_max;
  write_pid_file(pid_max + 1);
  Outcome outcome = Run(StartArgs(port, data_dir));
  EXPECT_EQ(outcome.exit_code, 0) << outcome.stderr_text;
  Outcome stopped = Run({"stop", "--data-dir", data_dir});
  EXPECT_EQ(stopped.exit_code, 0) << stopped.stderr_text;

  // A vital file gone: PostgreSQL's own reason, in one line.
  std::filesystem::remove(data_dir + "/global/pg_control");
  ExpectOneLineError(Run(StartArgs(port, data_dir)), "server failed to start");
}

}  // namespace
}  // namespace asyncgrpc::testing
