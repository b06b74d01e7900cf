// 2,000 calls in flight at once against the async service with a pool of 4
// connections: every call ends OK or with the documented RESOURCE_EXHAUSTED
// (queue full), and afterwards the service holds exactly its pool's connections
// (plus the health probe's) — none leaked. The test counts sessions by
// application name, so it has a database of its own: services that other
// tests run at the same time on the shared one would be counted too.
#include <atomic>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "gtest/gtest.h"
#include "tests/service_harness.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/wait.h"

namespace asyncgrpc::testing {
namespace {

constexpr int kCalls = 2000;
constexpr int kPoolSize = 4;
constexpr int kChannels = 8;

int ServiceSessions(const std::string& uri, const ServiceKind& kind) {
  auto rows = Query(uri, absl::StrCat("SELECT count(*) FROM pg_stat_activity "
                                      "WHERE application_name = '",
                                      kind.application_name, "'"));
  return rows.ok() ? std::stoi(rows->at(0).at(0)) : -1;
}

TEST(StressTest, TwoThousandConcurrentCallsOnFourConnections) {
  const ServiceKind kind = AsyncService();
  auto cluster = PostgresCluster::StartPrivate();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string& uri = (*cluster)->uri();
  auto service = RunningService::Start(
      kind, uri, {absl::StrCat("--db_pool_size=", kPoolSize)});
  ASSERT_TRUE(service.ok()) << service.status();

  std::vector<std::unique_ptr<items::v1::ItemService::Stub>> stubs;
  for (int i = 0; i < kChannels; ++i) {
    stubs.push_back((*service)->NewStub());
  }
  struct Call {
    grpc::ClientContext context;
    items::v1::GetItemRequest get_request;
    items::v1::Item item;
    items::v1::ListItemsRequest list_request;
    items::v1::ListItemsResponse list;
  };
  std::vector<std::unique_ptr<Call>> calls;
  absl::Mutex mu;
  std::map<grpc::StatusCode, int> codes;
  std::map<grpc::StatusCode, std::string> messages;
  absl::BlockingCounter done(kCalls);
  auto record = [&](grpc::Status status) {
    {
      absl::MutexLock lock(&mu);
      ++codes[status.error_code()];
      messages[status.error_code()] = status.error_message();
    }
    done.DecrementCount();
  };
  for (int i = 0; i < kCalls; ++i) {
    auto call = std::make_unique<Call>();
    call->context.set_deadline(
        absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    auto* stub = stubs[i % kChannels].get();
    // Mostly the detail query, with some whole-table lists mixed in, as the
    // study's pages did.
    if (i % 10 == 0) {
      stub->async()->ListItems(&call->context, &call->list_request, &call->list,
                               record);
    } else {
      call->get_request.set_id(1 + i % 800);
      stub->async()->GetItem(&call->context, &call->get_request, &call->item,
                             record);
    }
    calls.push_back(std::move(call));
  }
  done.Wait();

  int total = 0;
  for (const auto& [code, count] : codes) {
    total += count;
    EXPECT_TRUE(code == grpc::StatusCode::OK ||
                code == grpc::StatusCode::RESOURCE_EXHAUSTED)
        << "code " << code << " x" << count << ": " << messages[code];
  }
  EXPECT_EQ(total, kCalls);
  EXPECT_GT(codes[grpc::StatusCode::OK], 0);
  std::cerr << "stress: " << codes[grpc::StatusCode::OK] << " OK, "
            << codes[grpc::StatusCode::RESOURCE_EXHAUSTED]
            << " RESOURCE_EXHAUSTED of " << kCalls << std::endl;

  // The pool's connections and the readiness probe's, nothing more.
  EXPECT_TRUE(
      WaitFor([&] { return ServiceSessions(uri, kind) == kPoolSize + 1; },
              absl::Seconds(5)))
      << ServiceSessions(uri, kind) << " sessions";
  // And the service still answers.
  auto stub = (*service)->NewStub();
  items::v1::GetItemRequest request;
  request.set_id(25);
  items::v1::Item item;
  auto context = ContextWithTimeout(absl::Seconds(5));
  EXPECT_TRUE(stub->GetItem(context.get(), request, &item).ok());
}

}  // namespace
}  // namespace asyncgrpc::testing
