// What happens to calls when things go wrong: the database stops and returns, a
// query outlives its deadline, the client cancels, the pool runs dry, the
// process is told to stop mid-call. Each test owns its database cluster,
// because they lock the table or stop the server.
#include <signal.h>

#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/service_harness.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/wait.h"

namespace asyncgrpc::testing {
namespace {

using grpc::health::v1::HealthCheckResponse;
using items::v1::GetItemRequest;
using items::v1::Item;

class FailureTest : public ::testing::TestWithParam<ServiceKind> {
 protected:
  void SetUp() override {
    auto cluster = PostgresCluster::StartPrivate();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
  }

  void StartService(std::vector<std::string> flags) {
    auto service = RunningService::Start(GetParam(), cluster_->uri(), flags);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
    stub_ = service_->NewStub();
  }

  grpc::Status GetItem(int64_t id, absl::Duration timeout,
                       items::v1::ItemService::Stub* stub = nullptr) {
    GetItemRequest request;
    request.set_id(id);
    Item item;
    auto context = ContextWithTimeout(timeout);
    return (stub != nullptr ? stub : stub_.get())
        ->GetItem(context.get(), request, &item);
  }

  // The service's sessions currently blocked on a lock, i.e. its queries stuck
  // behind LockTable().
  int QueriesWaitingOnLock() {
    auto rows = Query(cluster_->uri(),
                      absl::StrCat("SELECT count(*) FROM pg_stat_activity "
                                   "WHERE application_name = '",
                                   GetParam().application_name,
                                   "' AND wait_event_type = 'Lock'"));
    return rows.ok() ? std::stoi(rows->at(0).at(0)) : -1;
  }

  int ServiceSessions() {
    auto rows = Query(cluster_->uri(),
                      absl::StrCat("SELECT count(*) FROM pg_stat_activity "
                                   "WHERE application_name = '",
                                   GetParam().application_name, "'"));
    return rows.ok() ? std::stoi(rows->at(0).at(0)) : -1;
  }

  // Makes every query on items wait until the returned connection rolls back or
  // closes.
  std::unique_ptr<HeldConnection> LockTable() {
    auto holder = HeldConnection::Connect(cluster_->uri());
    EXPECT_TRUE(holder.ok()) << holder.status();
    EXPECT_TRUE((*holder)
                    ->Exec("BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE")
                    .ok());
    return *std::move(holder);
  }

  std::unique_ptr<PostgresCluster> cluster_;
  std::unique_ptr<RunningService> service_;
  std::unique_ptr<items::v1::ItemService::Stub> stub_;
};

TEST_P(FailureTest, DatabaseOutageFailsFastAndRecoversWithoutRestart) {
  StartService({"--db_pool_size=4"});
  ASSERT_TRUE(GetItem(25, absl::Seconds(5)).ok());

  ASSERT_TRUE(cluster_->Stop().ok());
  for (int i = 0; i < 5; ++i) {
    const absl::Time start = absl::Now();
    grpc::Status status = GetItem(25, absl::Seconds(5));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
        << status.error_message();
    EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  }
  EXPECT_TRUE(WaitFor(
      [&] {
        return service_->Health("items.v1.ItemService")
                   .value_or(HealthCheckResponse::UNKNOWN) ==
               HealthCheckResponse::NOT_SERVING;
      },
      absl::Seconds(5)));
  EXPECT_EQ(service_->Health("").value_or(HealthCheckResponse::UNKNOWN),
            HealthCheckResponse::SERVING);

  ASSERT_TRUE(cluster_->Restart().ok());
  EXPECT_TRUE(WaitFor([&] { return GetItem(25, absl::Seconds(2)).ok(); },
                      absl::Seconds(10)));
  EXPECT_TRUE(WaitFor(
      [&] {
        return service_->Health("items.v1.ItemService")
                   .value_or(HealthCheckResponse::UNKNOWN) ==
               HealthCheckResponse::SERVING;
      },
      absl::Seconds(5)));
  // Every pooled connection comes back, not only the first: 20 calls in a row
  // succeed once each has reconnected. The async service's shards reconnect
  // on their own backoff (up to 1 s), and a call routed to a shard still
  // waiting fails fast, so the first success does not yet mean all are back.
  EXPECT_TRUE(WaitFor(
      [&] {
        for (int i = 0; i < 20; ++i) {
          if (!GetItem(1 + i, absl::Seconds(2)).ok()) {
            return false;
          }
        }
        return true;
      },
      absl::Seconds(5)));
}

TEST_P(FailureTest, DeadlineShorterThanTheQueryCancelsItAndFreesTheConnection) {
  StartService({"--db_pool_size=1"});
  auto lock = LockTable();
  const absl::Time start = absl::Now();
  grpc::Status status = GetItem(25, absl::Milliseconds(300));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  // The query was cancelled on the server, not left waiting behind the lock.
  EXPECT_TRUE(
      WaitFor([&] { return QueriesWaitingOnLock() == 0; }, absl::Seconds(3)));
  ASSERT_TRUE(lock->Exec("ROLLBACK").ok());
  // The only connection is usable again.
  EXPECT_TRUE(GetItem(25, absl::Seconds(5)).ok());
}

TEST_P(FailureTest, CancelledCallCancelsItsQueryAndFreesTheConnection) {
  StartService({"--db_pool_size=1"});
  auto lock = LockTable();
  grpc::ClientContext context;
  GetItemRequest request;
  request.set_id(25);
  Item item;
  std::promise<grpc::Status> result;
  stub_->async()->GetItem(&context, &request, &item,
                          [&](grpc::Status s) { result.set_value(s); });
  ASSERT_TRUE(
      WaitFor([&] { return QueriesWaitingOnLock() == 1; }, absl::Seconds(5)));
  context.TryCancel();
  EXPECT_EQ(result.get_future().get().error_code(),
            grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(
      WaitFor([&] { return QueriesWaitingOnLock() == 0; }, absl::Seconds(3)));
  ASSERT_TRUE(lock->Exec("ROLLBACK").ok());
  EXPECT_TRUE(GetItem(25, absl::Seconds(5)).ok());
  EXPECT_EQ(ServiceSessions(),
            1 + 1);  // the pool's connection + the health probe's
}

TEST_P(FailureTest, ExhaustedPoolIsResourceExhausted) {
  std::vector<std::string> flags = GetParam().one_query_per_connection_flags;
  flags.push_back("--db_pool_size=1");
  StartService(flags);
  auto lock = LockTable();
  std::promise<grpc::Status> holder_result;
  grpc::ClientContext holder_context;
  holder_context.set_deadline(
      absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  GetItemRequest request;
  request.set_id(25);
  Item item;
  stub_->async()->GetItem(&holder_context, &request, &item,
                          [&](grpc::Status s) { holder_result.set_value(s); });
  ASSERT_TRUE(
      WaitFor([&] { return QueriesWaitingOnLock() == 1; }, absl::Seconds(5)));
  grpc::Status status = GetItem(26, absl::Milliseconds(500));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status.error_message();
  ASSERT_TRUE(lock->Exec("ROLLBACK").ok());
  EXPECT_TRUE(holder_result.get_future().get().ok());
}

// Calls that end while they wait for a connection (their wait times out, or the
// client cancels) must never run their query. PostgreSQL's own statement log is
// the witness.
TEST_P(FailureTest, CallsEndedWhileQueuedNeverReachTheDatabase) {
  ASSERT_TRUE(
      Query(cluster_->uri(), "ALTER SYSTEM SET log_statement = 'all'").ok());
  ASSERT_TRUE(Query(cluster_->uri(), "SELECT pg_reload_conf()").ok());
  std::vector<std::string> flags = GetParam().one_query_per_connection_flags;
  flags.push_back("--db_pool_size=1");
  StartService(flags);
  auto lock = LockTable();
  auto start_call = [&](grpc::ClientContext& context, int64_t id,
                        std::promise<grpc::Status>& done, Item& item,
                        GetItemRequest& request) {
    request.set_id(id);
    stub_->async()->GetItem(&context, &request, &item,
                            [&done](grpc::Status s) { done.set_value(s); });
  };
  // Holds the only connection, blocked behind the lock.
  grpc::ClientContext holder_context;
  GetItemRequest holder_request;
  Item holder_item;
  std::promise<grpc::Status> holder_done;
  start_call(holder_context, 1, holder_done, holder_item, holder_request);
  ASSERT_TRUE(
      WaitFor([&] { return QueriesWaitingOnLock() == 1; }, absl::Seconds(5)));
  // Queued; the client cancels it later.
  grpc::ClientContext cancelled_context;
  GetItemRequest cancelled_request;
  Item cancelled_item;
  std::promise<grpc::Status> cancelled_done;
  start_call(cancelled_context, 2, cancelled_done, cancelled_item,
             cancelled_request);
  cancelled_context.TryCancel();
  EXPECT_EQ(cancelled_done.get_future().get().error_code(),
            grpc::StatusCode::CANCELLED);
  // Queued until its wait runs out. Sent on the same connection after the
  // cancel above, so once it is answered the server has seen that cancel too.
  EXPECT_EQ(GetItem(3, absl::Milliseconds(500)).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  ASSERT_TRUE(lock->Exec("ROLLBACK").ok());
  EXPECT_TRUE(holder_done.get_future().get().ok());
  ASSERT_TRUE(service_->process().Signal(SIGTERM).ok());
  EXPECT_EQ(service_->process().Wait(absl::Seconds(10)).value_or(-1), 0);
  auto log = RunCommand(
      {"grep", "-c", "execute get_item", cluster_->data_dir() + "/logfile"},
      absl::Seconds(10));
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(std::stoi(*log), 1) << "only the holder's query may have run";
}

TEST_P(FailureTest, SigtermLetsInFlightCallsFinishThenExitsZero) {
  // One query per connection, so that each call waits in a session of its own
  // (the async service would otherwise pipeline calls that arrive together on
  // one connection, and fewer sessions would show up waiting).
  std::vector<std::string> flags = GetParam().one_query_per_connection_flags;
  flags.push_back("--db_pool_size=4");
  flags.push_back("--shutdown_grace=10s");
  StartService(flags);
  auto lock = LockTable();
  constexpr int kCalls = 4;
  std::vector<std::future<grpc::Status>> calls;
  std::vector<std::unique_ptr<items::v1::ItemService::Stub>> stubs;
  for (int i = 0; i < kCalls; ++i) {
    stubs.push_back(service_->NewStub());
    // The stub itself, not stubs[i]: the next push_back may move the vector's
    // storage while this call's thread reads it.
    calls.push_back(
        std::async(std::launch::async, [&, i, stub = stubs.back().get()] {
          return GetItem(1 + i, absl::Seconds(20), stub);
        }));
  }
  ASSERT_TRUE(WaitFor([&] { return QueriesWaitingOnLock() == kCalls; },
                      absl::Seconds(5)));
  ASSERT_TRUE(service_->process().Signal(SIGTERM).ok());
  // Draining: the service reports NOT_SERVING or stops answering health checks
  // at all.
  EXPECT_TRUE(WaitFor(
      [&] {
        auto health = service_->Health("");
        return !health.ok() || *health == HealthCheckResponse::NOT_SERVING;
      },
      absl::Seconds(3)));
  EXPECT_TRUE(service_->process().Running());
  ASSERT_TRUE(lock->Exec("ROLLBACK").ok());
  for (auto& call : calls) {
    grpc::Status status = call.get();
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(service_->process().Wait(absl::Seconds(10)).value_or(-1), 0);
}

TEST_P(FailureTest, SigtermWithCallsOutlastingTheGraceStillExitsZero) {
  StartService({"--db_pool_size=2", "--shutdown_grace=1s"});
  auto lock = LockTable();
  auto call = std::async(std::launch::async,
                         [&] { return GetItem(25, absl::Seconds(30)); });
  ASSERT_TRUE(
      WaitFor([&] { return QueriesWaitingOnLock() == 1; }, absl::Seconds(5)));
  const absl::Time start = absl::Now();
  ASSERT_TRUE(service_->process().Signal(SIGTERM).ok());
  EXPECT_EQ(service_->process().Wait(absl::Seconds(10)).value_or(-1), 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_FALSE(call.get().ok());
  // The stuck query did not outlive the service.
  EXPECT_TRUE(
      WaitFor([&] { return QueriesWaitingOnLock() == 0; }, absl::Seconds(3)));
}

INSTANTIATE_TEST_SUITE_P(Services, FailureTest,
                         ::testing::ValuesIn(AllServices()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace asyncgrpc::testing
