// The services as a grpcurl user meets them: `buf curl` (a reflection client
// from npm) with no proto file, against the real binaries. Checks reflection,
// health by name, answers and error codes.
#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/service_harness.h"

namespace asyncgrpc::testing {
namespace {

struct CurlResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

class InteropTest : public ::testing::TestWithParam<ServiceKind> {
 protected:
  void SetUp() override {
    auto service = RunningService::Start(GetParam(), SharedDatabaseUri());
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
  }

  CurlResult BufCurl(const std::vector<std::string>& args) {
    std::string command = absl::StrCat(
        "'", ASYNCGRPC_BUF, "' curl --protocol grpc --http2-prior-knowledge");
    for (const std::string& arg : args) {
      absl::StrAppend(&command, " '", arg, "'");
    }
    absl::StrAppend(&command, " 2>&1");
    CurlResult result;
    auto output = RunCommand({"/bin/sh", "-c", command}, absl::Seconds(30),
                             &result.exit_code);
    EXPECT_TRUE(output.ok()) << output.status();
    result.output = output.value_or("");
    return result;
  }

  CurlResult Call(const std::string& method, const std::string& json) {
    return BufCurl({"-d", json,
                    absl::StrCat("http://", service_->address(), "/", method)});
  }

  std::unique_ptr<RunningService> service_;
};

TEST_P(InteropTest, GetItemByReflection) {
  CurlResult result = Call("items.v1.ItemService/GetItem", R"({"id":25})");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  items::v1::Item item;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(result.output, &item).ok())
      << result.output;
  EXPECT_EQ(item.id(), 25);
  EXPECT_FALSE(item.name().empty());
}

TEST_P(InteropTest, ListItemsDefaultPageHas800Items) {
  CurlResult result = Call("items.v1.ItemService/ListItems", "{}");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  items::v1::ListItemsResponse response;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(result.output, &response)
          .ok());
  EXPECT_EQ(response.items_size(), 800);
  EXPECT_TRUE(response.next_page_token().empty());
}

TEST_P(InteropTest, ListsServicesAndMethods) {
  CurlResult result =
      BufCurl({"--list-methods", absl::StrCat("http://", service_->address())});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  for (const char* method :
       {"items.v1.ItemService/GetItem", "items.v1.ItemService/ListItems",
        "grpc.health.v1.Health/Check"}) {
    EXPECT_NE(result.output.find(method), std::string::npos) << result.output;
  }
}

TEST_P(InteropTest, HealthByName) {
  CurlResult result = Call("grpc.health.v1.Health/Check",
                           R"({"service":"items.v1.ItemService"})");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("SERVING"), std::string::npos) << result.output;
}

TEST_P(InteropTest, BadInputsGetTheirCodes) {
  struct Case {
    std::string method;
    std::string json;
    std::string code;
  };
  for (const Case& c : std::vector<Case>{
           {"items.v1.ItemService/GetItem", R"({"id":0})", "invalid_argument"},
           {"items.v1.ItemService/GetItem", R"({"id":-3})", "invalid_argument"},
           {"items.v1.ItemService/GetItem", R"({"id":99999})", "not_found"},
           {"items.v1.ItemService/ListItems", R"({"page_size":-1})",
            "invalid_argument"},
           {"items.v1.ItemService/ListItems", R"({"page_token":"garbage"})",
            "invalid_argument"},
       }) {
    CurlResult result = Call(c.method, c.json);
    EXPECT_NE(result.exit_code, 0) << c.json;
    EXPECT_NE(result.output.find(c.code), std::string::npos)
        << c.json << ": " << result.output;
  }
}

TEST_P(InteropTest, PageSizeAboveTheMaximumIsAccepted) {
  CurlResult result =
      Call("items.v1.ItemService/ListItems", R"({"page_size":5000})");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  items::v1::ListItemsResponse response;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(result.output, &response)
          .ok());
  EXPECT_LE(response.items_size(), 1000);
}

TEST_P(InteropTest, UnknownMethodIsUnimplemented) {
  // buf curl checks method names against its schema, so hand it one that names
  // a method the server lacks; the server's answer is what we check.
  CurlResult result = BufCurl(
      {"--schema", ASYNCGRPC_SOURCE_DIR "/tests/testdata/unknown_method.proto",
       "-d", "{}",
       absl::StrCat("http://", service_->address(),
                    "/items.v1.ItemService/DeleteItem")});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("unimplemented"), std::string::npos)
      << result.output;
}

INSTANTIATE_TEST_SUITE_P(Services, InteropTest,
                         ::testing::ValuesIn(AllServices()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace asyncgrpc::testing
