// ItemService end to end: each service binary runs as a real process against a
// real PostgreSQL and is called over a real socket. Read-only, so every suite
// shares one database.
#include <grpcpp/generic/generic_stub.h>

#include <algorithm>
#include <tuple>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/page_token.h"
#include "gtest/gtest.h"
#include "tests/service_harness.h"
#include "tests/support/postgres_cluster.h"

namespace asyncgrpc::testing {
namespace {

using items::v1::GetItemRequest;
using items::v1::Item;
using items::v1::ListItemsRequest;
using items::v1::ListItemsResponse;

class ItemServiceTest : public ::testing::TestWithParam<ServiceKind> {
 protected:
  void SetUp() override {
    auto service = RunningService::Start(GetParam(), SharedDatabaseUri());
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
    stub_ = service_->NewStub();
  }

  grpc::Status GetItem(int64_t id, Item* item) {
    GetItemRequest request;
    request.set_id(id);
    auto context = ContextWithTimeout(absl::Seconds(10));
    return stub_->GetItem(context.get(), request, item);
  }

  grpc::Status ListItems(int32_t page_size, const std::string& page_token,
                         ListItemsResponse* response) {
    ListItemsRequest request;
    request.set_page_size(page_size);
    request.set_page_token(page_token);
    auto context = ContextWithTimeout(absl::Seconds(10));
    return stub_->ListItems(context.get(), request, response);
  }

  std::unique_ptr<RunningService> service_;
  std::unique_ptr<items::v1::ItemService::Stub> stub_;
};

TEST_P(ItemServiceTest, GetItemReturnsTheRowFromTheDatabase) {
  Item item;
  ASSERT_TRUE(GetItem(25, &item).ok());
  auto rows =
      Query(SharedDatabaseUri(),
            "SELECT id, number, name, type1, coalesce(type2, ''), total, "
            "hp, attack, defense, sp_attack, sp_defense, speed, "
            "generation, legendary FROM items WHERE id = 25");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  const std::vector<std::string>& row = rows->front();
  EXPECT_EQ(absl::StrCat(item.id()), row[0]);
  EXPECT_EQ(absl::StrCat(item.number()), row[1]);
  EXPECT_EQ(item.name(), row[2]);
  EXPECT_EQ(item.type1(), row[3]);
  EXPECT_EQ(item.type2(), row[4]);
  EXPECT_EQ(absl::StrCat(item.total()), row[5]);
  EXPECT_EQ(absl::StrCat(item.hp()), row[6]);
  EXPECT_EQ(absl::StrCat(item.attack()), row[7]);
  EXPECT_EQ(absl::StrCat(item.defense()), row[8]);
  EXPECT_EQ(absl::StrCat(item.sp_attack()), row[9]);
  EXPECT_EQ(absl::StrCat(item.sp_defense()), row[10]);
  EXPECT_EQ(absl::StrCat(item.speed()), row[11]);
  EXPECT_EQ(absl::StrCat(item.generation()), row[12]);
  EXPECT_EQ(item.legendary() ? "t" : "f", row[13]);
}

TEST_P(ItemServiceTest, GetItemRejectsNonPositiveIdsNamingTheField) {
  for (int64_t id : {int64_t{0}, int64_t{-1}, INT64_MIN}) {
    Item item;
    grpc::Status status = GetItem(id, &item);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << id;
    EXPECT_NE(status.error_message().find("id"), std::string::npos)
        << status.error_message();
  }
}

TEST_P(ItemServiceTest, GetItemOfUnknownIdIsNotFound) {
  Item item;
  grpc::Status status = GetItem(987654321, &item);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("987654321"), std::string::npos);
}

TEST_P(ItemServiceTest, DefaultListIsTheWholeTableInOrder) {
  ListItemsResponse response;
  ASSERT_TRUE(ListItems(0, "", &response).ok());
  EXPECT_EQ(response.items_size(), 800);
  EXPECT_TRUE(response.next_page_token().empty());
  EXPECT_TRUE(std::is_sorted(response.items().begin(), response.items().end(),
                             [](const Item& a, const Item& b) {
                               return std::pair(a.number(), a.id()) <
                                      std::pair(b.number(), b.id());
                             }));
}

TEST_P(ItemServiceTest, PagesWalkTheSameItemsAsOneList) {
  ListItemsResponse whole;
  ASSERT_TRUE(ListItems(0, "", &whole).ok());
  std::vector<int64_t> walked;
  std::string token;
  int pages = 0;
  do {
    ListItemsResponse page;
    ASSERT_TRUE(ListItems(7, token, &page).ok());
    ASSERT_LE(page.items_size(), 7);
    for (const Item& item : page.items()) {
      walked.push_back(item.id());
    }
    token = page.next_page_token();
    ASSERT_LT(++pages, 200);
  } while (!token.empty());
  ASSERT_EQ(walked.size(), 800u);
  for (int i = 0; i < whole.items_size(); ++i) {
    EXPECT_EQ(walked[i], whole.items(i).id()) << i;
  }
  EXPECT_EQ(pages, 115);  // ceil(800 / 7)
}

TEST_P(ItemServiceTest, NegativePageSizeIsInvalid) {
  ListItemsResponse response;
  grpc::Status status = ListItems(-1, "", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("page_size"), std::string::npos);
}

TEST_P(ItemServiceTest, BadPageTokensAreInvalid) {
  ListItemsResponse first;
  ASSERT_TRUE(ListItems(3, "", &first).ok());
  std::string tampered = first.next_page_token();
  tampered[4] = tampered[4] == 'A' ? 'B' : 'A';
  const std::string other_shape =
      EncodePageToken({.number = 1, .id = 1}, static_cast<QueryShape>(9));
  for (const std::string& token :
       {std::string("garbage"), std::string("!!!"), tampered, other_shape}) {
    ListItemsResponse response;
    grpc::Status status = ListItems(3, token, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << token;
    EXPECT_NE(status.error_message().find("page_token"), std::string::npos);
  }
}

// Calls `method` with `body` as the request's bytes, bypassing protobuf.
grpc::Status RawCall(const RunningService& service, const std::string& method,
                     const std::string& body) {
  grpc::GenericStub generic(service.NewChannel());
  grpc::Slice slice(body);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  absl::Notification done;
  grpc::Status status;
  generic.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) {
                      status = std::move(s);
                      done.Notify();
                    });
  done.WaitForNotification();
  return status;
}

TEST_P(ItemServiceTest, UnknownMethodIsUnimplemented) {
  // An empty body: the bytes of a default GetItemRequest.
  EXPECT_EQ(
      RawCall(*service_, "/items.v1.ItemService/DeleteItem", "").error_code(),
      grpc::StatusCode::UNIMPLEMENTED);
}

TEST_P(ItemServiceTest, BodyThatIsNotTheRequestMessageIsInvalidArgument) {
  const struct {
    const char* method;
    std::string body;
    const char* type;
  } cases[] = {
      {"/items.v1.ItemService/GetItem", std::string("\x08", 1),
       "items.v1.GetItemRequest"},  // a varint field without its value
      {"/items.v1.ItemService/GetItem", std::string("\x0f\x01", 2),
       "items.v1.GetItemRequest"},  // wire type 7 does not exist
      {"/items.v1.ItemService/ListItems",
       std::string("\x12\x05"
                   "ab",
                   4),
       "items.v1.ListItemsRequest"},  // a length beyond the body
      {"/items.v1.ItemService/ListItems", std::string("\x12\x02\xff\xfe", 4),
       "items.v1.ListItemsRequest"},  // page_token that is not UTF-8
  };
  for (const auto& c : cases) {
    const grpc::Status status = RawCall(*service_, c.method, c.body);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.method << " " << absl::CHexEscape(c.body);
    EXPECT_EQ(status.error_message(),
              absl::StrCat("request is not a valid ", c.type,
                           " (malformed protobuf, or a string field that is "
                           "not UTF-8)"));
  }
  // The service is none the worse.
  Item item;
  EXPECT_TRUE(GetItem(25, &item).ok());
}

TEST_P(ItemServiceTest, HealthIsServingForServerAndService) {
  EXPECT_EQ(service_->Health("").value_or(
                grpc::health::v1::HealthCheckResponse::UNKNOWN),
            grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(service_->Health("items.v1.ItemService")
                .value_or(grpc::health::v1::HealthCheckResponse::UNKNOWN),
            grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_P(ItemServiceTest, SigtermWhenIdleExitsZero) {
  ASSERT_TRUE(service_->process().Signal(SIGTERM).ok());
  EXPECT_EQ(service_->process().Wait(absl::Seconds(10)).value_or(-1), 0);
}

// The reproduction mode answers the same, one fresh connection per query.
TEST_P(ItemServiceTest, ConnectPerRequestModeAnswersTheSame) {
  auto repro = RunningService::Start(GetParam(), SharedDatabaseUri(),
                                     {"--db_connect_per_request"});
  ASSERT_TRUE(repro.ok()) << repro.status();
  auto repro_stub = (*repro)->NewStub();
  for (int64_t id : {1, 25, 800}) {
    Item pooled;
    Item fresh;
    ASSERT_TRUE(GetItem(id, &pooled).ok());
    GetItemRequest request;
    request.set_id(id);
    auto context = ContextWithTimeout(absl::Seconds(10));
    ASSERT_TRUE(repro_stub->GetItem(context.get(), request, &fresh).ok());
    EXPECT_EQ(pooled.SerializeAsString(), fresh.SerializeAsString());
  }
}

// The simulated upstream call: waited before the query, bounded by the call's
// deadline.
TEST_P(ItemServiceTest, UpstreamDelayIsWaitedAndBoundedByTheDeadline) {
  auto delayed = RunningService::Start(GetParam(), SharedDatabaseUri(),
                                       {"--upstream_delay=200ms"});
  ASSERT_TRUE(delayed.ok()) << delayed.status();
  auto stub = (*delayed)->NewStub();
  GetItemRequest request;
  request.set_id(25);
  Item item;
  const absl::Time start = absl::Now();
  auto context = ContextWithTimeout(absl::Seconds(10));
  ASSERT_TRUE(stub->GetItem(context.get(), request, &item).ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(200));
  EXPECT_EQ(item.id(), 25);

  auto short_context = ContextWithTimeout(absl::Milliseconds(50));
  EXPECT_EQ(stub->GetItem(short_context.get(), request, &item).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
}

INSTANTIATE_TEST_SUITE_P(Services, ItemServiceTest,
                         ::testing::ValuesIn(AllServices()),
                         [](const auto& info) { return info.param.name; });

// A table larger than the page limit shows the coercion of page_size.
class LargeTableTest : public ::testing::TestWithParam<ServiceKind> {};

TEST_P(LargeTableTest, PageSizeAboveTheMaximumIsCoercedTo1000) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok()) << dir.status();
  auto cluster = PostgresCluster::Start(dir->path() + "/pgdata", 0, 2500);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  auto service = RunningService::Start(GetParam(), (*cluster)->uri());
  ASSERT_TRUE(service.ok()) << service.status();
  auto stub = (*service)->NewStub();
  int total = 0;
  std::string token;
  std::vector<int> sizes;
  do {
    ListItemsRequest request;
    request.set_page_size(5000);
    request.set_page_token(token);
    ListItemsResponse response;
    auto context = ContextWithTimeout(absl::Seconds(10));
    ASSERT_TRUE(stub->ListItems(context.get(), request, &response).ok());
    sizes.push_back(response.items_size());
    total += response.items_size();
    token = response.next_page_token();
  } while (!token.empty());
  EXPECT_EQ(sizes, (std::vector<int>{1000, 1000, 500}));
  EXPECT_EQ(total, 2500);
}

INSTANTIATE_TEST_SUITE_P(Services, LargeTableTest,
                         ::testing::ValuesIn(AllServices()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace asyncgrpc::testing
