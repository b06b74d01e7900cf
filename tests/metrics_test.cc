// The Prometheus endpoint of both services (--metrics_listen), end to end: a
// real service process, known calls over gRPC, then /metrics fetched over a
// real socket with a plain HTTP GET and its text parsed: exact counts by method
// and code, histogram counts, pool gauges that follow calls held at the
// database, and the standard process_* metrics.
#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/service_harness.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/wait.h"

namespace asyncgrpc::testing {
namespace {

using items::v1::GetItemRequest;
using items::v1::Item;
using items::v1::ListItemsRequest;
using items::v1::ListItemsResponse;

// The body of GET `path` from 127.0.0.1:`port` over a fresh TCP connection;
// an error unless the answer is "HTTP/1.x 200".
absl::StatusOr<std::string> HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  }
  const timeval timeout = {.tv_sec = 10, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    const std::string error = strerror(errno);
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("connect to 127.0.0.1:", port, ": ", error));
  }
  const std::string request =
      absl::StrCat("GET ", path,
                   " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n =
        send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      const std::string error = strerror(errno);
      close(fd);
      return absl::UnavailableError(absl::StrCat("send: ", error));
    }
    sent += static_cast<size_t>(n);
  }
  std::string response;
  char buffer[16384];
  while (true) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n == 0) {
      break;
    }
    if (n < 0) {
      const std::string error = strerror(errno);
      close(fd);
      return absl::UnavailableError(absl::StrCat("recv: ", error));
    }
    response.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  const size_t header_end = response.find("\r\n\r\n");
  if (header_end == std::string::npos) {
    return absl::InternalError(
        absl::StrCat("no HTTP header in \"", response, "\""));
  }
  const std::string status_line = response.substr(0, response.find("\r\n"));
  if (!absl::StartsWith(status_line, "HTTP/1.") ||
      !absl::StrContains(status_line, " 200 ")) {
    return absl::InternalError(absl::StrCat("GET ", path, ": ", status_line));
  }
  return response.substr(header_end + 4);
}

// One line of the Prometheus text format.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Parses every sample line (`name{label="value",...} number`); comments and
// blank lines are skipped. Fails on anything else, so a malformed exposition
// fails the test.
absl::StatusOr<std::vector<Sample>> ParseExposition(absl::string_view text) {
  std::vector<Sample> samples;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    auto bad = [&line](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat(why, " in metrics line \"", line, "\""));
    };
    Sample sample;
    size_t at = line.find_first_of("{ ");
    if (at == absl::string_view::npos || at == 0) {
      return bad("no name");
    }
    sample.name = std::string(line.substr(0, at));
    if (line[at] == '{') {
      ++at;
      while (at < line.size() && line[at] != '}') {
        const size_t equals = line.find("=\"", at);
        if (equals == absl::string_view::npos) {
          return bad("no label value");
        }
        const std::string name(line.substr(at, equals - at));
        std::string value;
        size_t i = equals + 2;
        for (; i < line.size() && line[i] != '"'; ++i) {
          if (line[i] == '\\' && i + 1 < line.size()) {
            ++i;
            value.push_back(line[i] == 'n' ? '\n' : line[i]);
          } else {
            value.push_back(line[i]);
          }
        }
        if (i >= line.size()) {
          return bad("unterminated label value");
        }
        if (!sample.labels.emplace(name, value).second) {
          return bad("repeated label");
        }
        at = i + 1;
        if (at < line.size() && line[at] == ',') {
          ++at;
        }
      }
      if (at >= line.size()) {
        return bad("unterminated labels");
      }
      ++at;  // '}'
    }
    const absl::string_view rest = absl::StripAsciiWhitespace(line.substr(at));
    // A value, maybe followed by a timestamp.
    const absl::string_view number = rest.substr(0, rest.find(' '));
    if (number == "+Inf") {
      sample.value = std::numeric_limits<double>::infinity();
    } else if (!absl::SimpleAtod(number, &sample.value)) {
      return bad("no value");
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

class MetricsTest : public ::testing::TestWithParam<ServiceKind> {
 protected:
  // Starts the service on `db_uri` serving metrics on a port of its choice.
  void StartService(const std::string& db_uri, std::vector<std::string> flags) {
    flags.push_back("--metrics_listen=127.0.0.1:0");
    auto service = RunningService::Start(GetParam(), db_uri, flags);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
    stub_ = service_->NewStub();
    // Printed right after "listening on", which Start consumed.
    absl::StatusOr<std::string> address =
        service_->process().ReadLineMatching("metrics on ", absl::Seconds(10));
    ASSERT_TRUE(address.ok()) << address.status();
    ASSERT_TRUE(absl::StartsWith(*address, "127.0.0.1:")) << *address;
    ASSERT_TRUE(absl::SimpleAtoi(address->substr(10), &metrics_port_))
        << *address;
    ASSERT_GT(metrics_port_, 0) << *address;
    metrics_address_ = *address;
  }

  // The asyncgrpc_* and process_* samples of one scrape; each must carry this
  // service's label, which is then dropped. Records a failure and returns
  // nothing when the scrape fails.
  std::vector<Sample> Scrape() {
    absl::StatusOr<std::string> body = HttpGet(metrics_port_, "/metrics");
    EXPECT_TRUE(body.ok()) << body.status();
    if (!body.ok()) {
      return {};
    }
    absl::StatusOr<std::vector<Sample>> samples = ParseExposition(*body);
    EXPECT_TRUE(samples.ok()) << samples.status();
    std::vector<Sample> ours;
    for (Sample& sample : samples.value_or(std::vector<Sample>{})) {
      if (!absl::StartsWith(sample.name, "asyncgrpc_") &&
          !absl::StartsWith(sample.name, "process_")) {
        continue;  // prometheus-cpp's own exposer_* series
      }
      EXPECT_EQ(sample.labels["service"], GetParam().name) << sample.name;
      sample.labels.erase("service");
      ours.push_back(std::move(sample));
    }
    return ours;
  }

  // The value of the one sample named `name` whose labels (service aside) are
  // exactly `labels`; nullopt when there is none.
  static std::optional<double> Value(
      const std::vector<Sample>& samples, const std::string& name,
      const std::map<std::string, std::string>& labels = {}) {
    std::optional<double> found;
    for (const Sample& sample : samples) {
      if (sample.name == name && sample.labels == labels) {
        EXPECT_FALSE(found.has_value()) << "two samples " << name;
        found = sample.value;
      }
    }
    return found;
  }

  grpc::Status GetItem(int64_t id) {
    GetItemRequest request;
    request.set_id(id);
    Item item;
    auto context = ContextWithTimeout(absl::Seconds(10));
    return stub_->GetItem(context.get(), request, &item);
  }

  grpc::Status ListItems(int32_t page_size) {
    ListItemsRequest request;
    request.set_page_size(page_size);
    ListItemsResponse response;
    auto context = ContextWithTimeout(absl::Seconds(10));
    return stub_->ListItems(context.get(), request, &response);
  }

  // An unimplemented method, through a generic stub.
  grpc::Status CallUnknownMethod() {
    grpc::GenericStub generic(service_->NewChannel());
    grpc::Slice slice(std::string{});
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    absl::Notification done;
    grpc::Status status;
    generic.UnaryCall(&context, "/items.v1.ItemService/DeleteItem",
                      grpc::StubOptions(), &request, &response,
                      [&](grpc::Status s) {
                        status = std::move(s);
                        done.Notify();
                      });
    done.WaitForNotification();
    return status;
  }

  // The four pool gauges of a scrape, -1 where one is missing.
  struct Gauges {
    double in_use = -1;
    double idle = -1;
    double waiting = -1;
    double in_flight = -1;
    std::string ToString() const {
      return absl::StrCat("in_use=", in_use, " idle=", idle,
                          " waiting=", waiting, " in_flight=", in_flight);
    }
  };
  static Gauges PoolGauges(const std::vector<Sample>& samples) {
    return {
        .in_use =
            Value(samples, "asyncgrpc_db_connections", {{"state", "in_use"}})
                .value_or(-1),
        .idle = Value(samples, "asyncgrpc_db_connections", {{"state", "idle"}})
                    .value_or(-1),
        .waiting = Value(samples, "asyncgrpc_db_waiting").value_or(-1),
        .in_flight = Value(samples, "asyncgrpc_db_in_flight").value_or(-1),
    };
  }

  // A database of the test's own, for tests that lock its table; declared
  // first, so the service stops before it does.
  std::unique_ptr<PostgresCluster> cluster_;
  std::unique_ptr<RunningService> service_;
  std::unique_ptr<items::v1::ItemService::Stub> stub_;
  int metrics_port_ = 0;
  std::string metrics_address_;
};

TEST_P(MetricsTest, CountsEveryCallByMethodAndCode) {
  StartService(SharedDatabaseUri(), {"--db_pool_size=3"});
  if (HasFatalFailure()) {
    return;
  }
  const absl::Time start = absl::Now();
  // Before any call: ItemService's series are there at zero.
  std::vector<Sample> before = Scrape();
  EXPECT_EQ(Value(before, "asyncgrpc_rpcs_total",
                  {{"method", "GetItem"}, {"code", "OK"}}),
            0);
  EXPECT_EQ(Value(before, "asyncgrpc_rpc_duration_seconds_count",
                  {{"method", "ListItems"}}),
            0);

  for (int64_t id : {1, 2, 3}) {
    ASSERT_TRUE(GetItem(id).ok()) << id;
  }
  for (int64_t id : {999'999, 1'000'000}) {
    ASSERT_EQ(GetItem(id).error_code(), grpc::StatusCode::NOT_FOUND) << id;
  }
  ASSERT_EQ(GetItem(0).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(ListItems(10).ok());
  absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus> health =
      service_->Health("");
  ASSERT_TRUE(health.ok()) << health.status();
  ASSERT_EQ(CallUnknownMethod().error_code(), grpc::StatusCode::UNIMPLEMENTED);
  const absl::Duration elapsed = absl::Now() - start;

  const std::vector<Sample> samples = Scrape();
  // Exactly these calls, and no other series.
  const std::map<std::pair<std::string, std::string>, double> expected = {
      {{"GetItem", "OK"}, 3},
      {{"GetItem", "NOT_FOUND"}, 2},
      {{"GetItem", "INVALID_ARGUMENT"}, 1},
      {{"ListItems", "OK"}, 1},
      {{"Check", "OK"}, 1},
      {{"other", "UNIMPLEMENTED"}, 1},
  };
  std::map<std::pair<std::string, std::string>, double> counted;
  for (const Sample& sample : samples) {
    if (sample.name == "asyncgrpc_rpcs_total") {
      ASSERT_EQ(sample.labels.size(), 2u);
      counted[{sample.labels.at("method"), sample.labels.at("code")}] =
          sample.value;
    }
  }
  EXPECT_EQ(counted, expected);

  // One latency per call, in cumulative buckets that end at +Inf.
  for (const auto& [method, calls] : std::map<std::string, double>{
           {"GetItem", 6}, {"ListItems", 1}, {"Check", 1}, {"other", 1}}) {
    SCOPED_TRACE(method);
    EXPECT_EQ(Value(samples, "asyncgrpc_rpc_duration_seconds_count",
                    {{"method", method}}),
              calls);
    const std::optional<double> sum = Value(
        samples, "asyncgrpc_rpc_duration_seconds_sum", {{"method", method}});
    ASSERT_TRUE(sum.has_value());
    EXPECT_GT(*sum, 0);
    EXPECT_LT(*sum, absl::ToDoubleSeconds(elapsed));
    std::map<double, double> buckets;
    for (const Sample& sample : samples) {
      if (sample.name == "asyncgrpc_rpc_duration_seconds_bucket" &&
          sample.labels.at("method") == method) {
        double le = 0;
        ASSERT_TRUE(sample.labels.at("le") == "+Inf" ||
                    absl::SimpleAtod(sample.labels.at("le"), &le));
        buckets[sample.labels.at("le") == "+Inf"
                    ? std::numeric_limits<double>::infinity()
                    : le] = sample.value;
      }
    }
    ASSERT_EQ(buckets.size(), 17u);
    EXPECT_DOUBLE_EQ(buckets.begin()->first, 0.0001);
    double previous = 0;
    for (const auto& [le, count] : buckets) {
      EXPECT_GE(count, previous) << "le=" << le;
      previous = count;
    }
    EXPECT_EQ(buckets.rbegin()->second, calls);
  }

  // Idle now: the whole pool open and free.
  const Gauges gauges = PoolGauges(samples);
  EXPECT_EQ(gauges.in_use, 0) << gauges.ToString();
  EXPECT_EQ(gauges.idle, 3) << gauges.ToString();
  EXPECT_EQ(gauges.waiting, 0) << gauges.ToString();
  EXPECT_EQ(gauges.in_flight, 0) << gauges.ToString();
  const std::optional<double> threads = Value(samples, "asyncgrpc_threads");
  ASSERT_TRUE(threads.has_value());
  EXPECT_GT(*threads, 1);
  EXPECT_LT(*threads, 1000);
}

// With the table locked, calls pile up at the database: the gauges show the
// connections busy, the queries in flight and the calls waiting, then all idle
// again once the lock goes. This test owns its database.
TEST_P(MetricsTest, PoolGaugesFollowCallsHeldAtTheDatabase) {
  auto cluster = PostgresCluster::StartPrivate();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  cluster_ = *std::move(cluster);
  std::vector<std::string> flags = {"--db_pool_size=2",
                                    "--db_acquire_timeout=60s"};
  for (const std::string& flag : GetParam().one_query_per_connection_flags) {
    flags.push_back(flag);
  }
  StartService(cluster_->uri(), flags);
  if (HasFatalFailure()) {
    return;
  }
  Gauges gauges = PoolGauges(Scrape());
  EXPECT_EQ(gauges.idle, 2) << gauges.ToString();
  EXPECT_EQ(gauges.in_use, 0) << gauges.ToString();

  auto holder = HeldConnection::Connect(cluster_->uri());
  ASSERT_TRUE(holder.ok()) << holder.status();
  ASSERT_TRUE(
      (*holder)->Exec("BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE").ok());

  constexpr int kCalls = 4;
  struct Call {
    GetItemRequest request;
    Item item;
    grpc::ClientContext context;
    std::promise<grpc::Status> done;
  };
  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < kCalls; ++i) {
    auto call = std::make_unique<Call>();
    call->request.set_id(i + 1);
    call->context.set_deadline(
        absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    Call* raw = call.get();
    stub_->async()->GetItem(
        &raw->context, &raw->request, &raw->item,
        [raw](grpc::Status status) { raw->done.set_value(std::move(status)); });
    calls.push_back(std::move(call));
  }
  // Two queries stuck behind the lock, as PostgreSQL sees it too, and two
  // calls waiting for a connection.
  const bool held = WaitFor(
      [&] {
        gauges = PoolGauges(Scrape());
        return gauges.in_use == 2 && gauges.idle == 0 &&
               gauges.in_flight == 2 && gauges.waiting == 2;
      },
      absl::Seconds(20), absl::Milliseconds(50));
  EXPECT_TRUE(held) << gauges.ToString();
  absl::StatusOr<QueryRows> blocked =
      Query(cluster_->uri(),
            absl::StrCat("SELECT count(*) FROM pg_stat_activity WHERE "
                         "application_name = '",
                         GetParam().application_name,
                         "' AND wait_event_type = 'Lock'"));
  ASSERT_TRUE(blocked.ok()) << blocked.status();
  EXPECT_EQ(blocked->at(0).at(0), "2");

  ASSERT_TRUE((*holder)->Exec("ROLLBACK").ok());
  for (std::unique_ptr<Call>& call : calls) {
    const grpc::Status status = call->done.get_future().get();
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  const std::vector<Sample> samples = Scrape();
  gauges = PoolGauges(samples);
  EXPECT_EQ(gauges.in_use, 0) << gauges.ToString();
  EXPECT_EQ(gauges.idle, 2) << gauges.ToString();
  EXPECT_EQ(gauges.waiting, 0) << gauges.ToString();
  EXPECT_EQ(gauges.in_flight, 0) << gauges.ToString();
  EXPECT_EQ(Value(samples, "asyncgrpc_rpcs_total",
                  {{"method", "GetItem"}, {"code", "OK"}}),
            kCalls);
  EXPECT_EQ(Value(samples, "asyncgrpc_rpc_duration_seconds_count",
                  {{"method", "GetItem"}}),
            kCalls);
}

// Prometheus' standard process metrics, with their standard types, under the
// service label like every other series.
TEST_P(MetricsTest, ExportsTheStandardProcessMetrics) {
  StartService(SharedDatabaseUri(), {});
  if (HasFatalFailure()) {
    return;
  }
  absl::StatusOr<std::string> body = HttpGet(metrics_port_, "/metrics");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_TRUE(
      absl::StrContains(*body, "\n# TYPE process_cpu_seconds_total counter\n"));
  for (absl::string_view gauge : {"process_resident_memory_bytes",
                                  "process_open_fds", "process_threads"}) {
    EXPECT_TRUE(
        absl::StrContains(*body, absl::StrCat("\n# TYPE ", gauge, " gauge\n")))
        << gauge;
  }

  // The kernel counts CPU in clock ticks (10 ms): a service that has barely
  // started may still show 0, so calls are made until it does not.
  std::vector<Sample> samples;
  const bool cpu_counted = WaitFor(
      [&] {
        EXPECT_TRUE(GetItem(1).ok());
        samples = Scrape();
        return Value(samples, "process_cpu_seconds_total").value_or(0) > 0;
      },
      absl::Seconds(20), absl::Milliseconds(10));
  EXPECT_TRUE(cpu_counted);
  EXPECT_GT(Value(samples, "process_resident_memory_bytes").value_or(0),
            1 << 20);
  EXPECT_GT(Value(samples, "process_open_fds").value_or(0), 0);
  EXPECT_GE(Value(samples, "process_threads").value_or(0), 2);
}

TEST_P(MetricsTest, ATakenMetricsPortIsOneLineAndExitTwo) {
  StartService(SharedDatabaseUri(), {});
  if (HasFatalFailure()) {
    return;
  }
  // stderr only, through a shell (RunCommand captures stdout).
  const std::string command = absl::StrCat(
      BinaryPath(GetParam().binary), " '--db=", SharedDatabaseUri(),
      "' --listen=127.0.0.1:0 --metrics_listen=", metrics_address_,
      " 2>&1 >/dev/null");
  int exit_code = -1;
  absl::StatusOr<std::string> output =
      RunCommand({"/bin/sh", "-c", command}, absl::Seconds(20), &exit_code);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(exit_code, 2) << *output;
  const std::vector<std::string> lines =
      absl::StrSplit(*output, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 1u) << *output;
  EXPECT_TRUE(absl::StrContains(
      *output, absl::StrCat("--metrics_listen: cannot listen on ",
                            metrics_address_, ": Address already in use")))
      << *output;
  // The first service still serves both ports.
  EXPECT_TRUE(GetItem(1).ok());
  EXPECT_TRUE(HttpGet(metrics_port_, "/metrics").ok());
}

TEST_P(MetricsTest, NoMetricsEndpointWithoutTheFlag) {
  auto service = RunningService::Start(GetParam(), SharedDatabaseUri());
  ASSERT_TRUE(service.ok()) << service.status();
  ASSERT_TRUE((*service)->process().Signal(SIGTERM).ok());
  EXPECT_EQ((*service)->process().Wait(absl::Seconds(20)).value_or(-1), 0);
  EXPECT_FALSE(absl::StrContains((*service)->process().ConsumeCapturedStdout(),
                                 "metrics on"));
}

INSTANTIATE_TEST_SUITE_P(Services, MetricsTest,
                         ::testing::ValuesIn(AllServices()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace asyncgrpc::testing
