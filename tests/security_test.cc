// Security basics: hostile request fields never reach SQL as text (answers are
// only OK, INVALID_ARGUMENT or NOT_FOUND, and the table is intact after), no
// SQL is built from strings, the services listen on loopback unless told
// otherwise, a database password never shows in their output, and the optional
// TLS works end to end (services, test clients, loadgen).
#include <signal.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/page_token.h"
#include "common/queries.h"
#include "gtest/gtest.h"
#include "tests/service_harness.h"
#include "tests/support/ports.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/wait.h"

namespace asyncgrpc::testing {
namespace {

using grpc::health::v1::HealthCheckResponse;
using items::v1::GetItemRequest;
using items::v1::Item;
using items::v1::ListItemsRequest;
using items::v1::ListItemsResponse;

constexpr char kSecret[] = "S3cretPassw0rd";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Everything that tells whether the items table (and the schema around it)
// changed: row count, a digest of every row, the public tables.
std::string DatabaseFingerprint(const std::string& uri) {
  absl::StatusOr<QueryRows> rows =
      Query(uri,
            "SELECT (SELECT count(*) FROM items) || ' ' || "
            "(SELECT md5(string_agg(i::text, ',' ORDER BY id)) FROM items i) "
            "|| ' ' || (SELECT string_agg(tablename, ',' ORDER BY tablename) "
            "FROM pg_tables WHERE schemaname = 'public')");
  EXPECT_TRUE(rows.ok()) << rows.status();
  return rows.ok() ? rows->at(0).at(0) : "";
}

// ------------------------------------------------------- hostile input

class HostileInputTest : public ::testing::TestWithParam<ServiceKind> {
 protected:
  void SetUp() override {
    auto service = RunningService::Start(GetParam(), SharedDatabaseUri());
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
    stub_ = service_->NewStub();
  }

  std::unique_ptr<RunningService> service_;
  std::unique_ptr<items::v1::ItemService::Stub> stub_;
};

TEST_P(HostileInputTest, OnlyExpectedCodesAndTheTableIsIntact) {
  const std::string before = DatabaseFingerprint(SharedDatabaseUri());
  ASSERT_TRUE(absl::StartsWith(before, "800 ")) << before;

  const std::string sql_token = "'; DROP TABLE items; --";
  std::string valid = EncodePageToken({.number = 25, .id = 27});
  std::string edited = valid;
  edited[edited.size() / 2] = edited[edited.size() / 2] == 'A' ? 'B' : 'A';
  const std::vector<std::string> page_tokens = {
      "' OR '1'='1",
      sql_token,
      "1; DELETE FROM items",
      "1) UNION SELECT * FROM pg_shadow --",
      "$1",
      "NULL",
      "\\x27",
      "%27%20OR%201%3D1",
      "\"quoted\"",
      std::string("\0\0\0\0", 4),
      std::string("abc\0'; DROP TABLE items; --", 27),
      std::string(1 << 20, '\''),
      std::string(100'000, '\0'),
      absl::WebSafeBase64Escape(sql_token),
      absl::WebSafeBase64Escape(std::string(64, '\'')),
      edited,
      valid + "'",
      // Well-formed tokens for extreme cursors: the ints reach SQL as bound
      // parameters.
      EncodePageToken({.number = std::numeric_limits<int32_t>::min(),
                       .id = std::numeric_limits<int64_t>::min()}),
      EncodePageToken({.number = std::numeric_limits<int32_t>::max(),
                       .id = std::numeric_limits<int64_t>::max()}),
      EncodePageToken({.number = -1, .id = 0}),
  };
  const std::vector<int32_t> page_sizes = {
      std::numeric_limits<int32_t>::min(), -1, 0, 1, 1000, 1001,
      std::numeric_limits<int32_t>::max()};
  for (const std::string& token : page_tokens) {
    for (int32_t page_size : page_sizes) {
      ListItemsRequest request;
      request.set_page_token(token);
      request.set_page_size(page_size);
      ListItemsResponse response;
      auto context = ContextWithTimeout(absl::Seconds(10));
      const grpc::Status status =
          stub_->ListItems(context.get(), request, &response);
      SCOPED_TRACE(
          absl::StrCat("page_token ", absl::CHexEscape(token.substr(0, 40)),
                       " (", token.size(), " bytes), page_size ", page_size));
      EXPECT_TRUE(status.error_code() == grpc::StatusCode::OK ||
                  status.error_code() == grpc::StatusCode::INVALID_ARGUMENT)
          << status.error_code() << " \"" << status.error_message() << "\"";
    }
  }
  // Not UTF-8, which a proto3 string must be: the services parse bodies
  // themselves, so both answer INVALID_ARGUMENT before any SQL (gRPC's own
  // parse would say INTERNAL on the sync API, UNIMPLEMENTED on the callback
  // one).
  for (const std::string& token :
       {std::string("\xff\xfe' OR 1=1"), std::string("\xc0\x27; --")}) {
    ListItemsRequest request;
    request.set_page_token(token);
    ListItemsResponse response;
    auto context = ContextWithTimeout(absl::Seconds(10));
    const grpc::Status status =
        stub_->ListItems(context.get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << absl::CHexEscape(token) << " " << status.error_message();
    EXPECT_EQ(status.error_message(),
              "request is not a valid items.v1.ListItemsRequest (malformed "
              "protobuf, or a string field that is not UTF-8)");
  }
  for (int64_t id : {std::numeric_limits<int64_t>::min(),
                     std::numeric_limits<int64_t>::min() + 1, int64_t{-1},
                     int64_t{0}, int64_t{1}, int64_t{800}, int64_t{801},
                     int64_t{std::numeric_limits<int32_t>::max()},
                     int64_t{std::numeric_limits<int32_t>::max()} + 1,
                     std::numeric_limits<int64_t>::max() - 1,
                     std::numeric_limits<int64_t>::max()}) {
    GetItemRequest request;
    request.set_id(id);
    Item item;
    auto context = ContextWithTimeout(absl::Seconds(10));
    const grpc::Status status = stub_->GetItem(context.get(), request, &item);
    const grpc::StatusCode expected = id <= 0
                                          ? grpc::StatusCode::INVALID_ARGUMENT
                                      : id <= 800 ? grpc::StatusCode::OK
                                                  : grpc::StatusCode::NOT_FOUND;
    EXPECT_EQ(status.error_code(), expected)
        << "id " << id << ": " << status.error_message();
  }
  EXPECT_EQ(DatabaseFingerprint(SharedDatabaseUri()), before);
  EXPECT_TRUE(service_->process().Running());
}

INSTANTIATE_TEST_SUITE_P(Services, HostileInputTest,
                         ::testing::ValuesIn(AllServices()),
                         [](const auto& info) { return info.param.name; });

// ------------------------------------------------------ no string-built SQL

// The `index`th top-level argument of the call whose '(' is at `open`.
std::string CallArgument(const std::string& text, size_t open, int index) {
  int depth = 0;
  int argument = 0;
  std::string current;
  for (size_t i = open + 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {  // Copy a string literal whole.
      size_t end = i + 1;
      while (end < text.size() && text[end] != '"') {
        end += text[end] == '\\' ? 2 : 1;
      }
      if (argument == index) current += text.substr(i, end - i + 1);
      i = end;
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')' && depth-- == 0) break;
    if (c == ',' && depth == 0) {
      if (argument++ == index) break;
      continue;
    }
    if (argument == index) current += c;
  }
  return std::string(absl::StripAsciiWhitespace(current));
}

// Every libpq call that takes SQL text gets a whole string literal or a
// Statement's constant `sql`; no literal holding SQL lives anywhere but in
// common/queries.cc's statements (and those calls); nothing escapes values
// into SQL; and every statement takes its values as $n parameters.
TEST(NoStringBuiltSqlTest, StatementsAreConstantsWithParameters) {
  for (const Statement* statement : AllStatements()) {
    const std::string sql = statement->sql;
    SCOPED_TRACE(sql);
    EXPECT_FALSE(absl::StrContains(sql, "'"));
    EXPECT_FALSE(absl::StrContains(sql, ";"));
    for (int n = 1; n <= statement->param_count; ++n) {
      EXPECT_TRUE(absl::StrContains(sql, absl::StrCat("$", n)));
    }
    EXPECT_FALSE(
        absl::StrContains(sql, absl::StrCat("$", statement->param_count + 1)));
  }

  const std::map<std::string, int> sql_argument = {
      {"PQexec", 1},       {"PQsendQuery", 1},
      {"PQexecParams", 1}, {"PQsendQueryParams", 1},
      {"PQprepare", 2},    {"PQsendPrepare", 2}};
  const std::regex call(
      R"(\b(PQexec|PQsendQuery|PQexecParams|PQsendQueryParams|PQprepare|PQsendPrepare)\s*\()");
  const std::regex allowed_argument(
      R"(^("[^"\\]*"|[A-Za-z_][A-Za-z_0-9]*(\.|->)sql)$)");
  const std::regex literal(R"("([^"\\\n]|\\.)*")");
  const std::regex sql_keyword(
      R"(\b(SELECT|INSERT|UPDATE|DELETE|DROP|WHERE|FROM|UNION)\b)");
  const std::regex string_building(
      R"(\b(StrCat|StrAppend|StrFormat|Substitute|sprintf|snprintf|ostringstream|stringstream|std::format)\b)");
  const std::regex escaping(
      R"(\b(PQescapeLiteral|PQescapeString|PQescapeStringConn|PQescapeIdentifier)\b)");

  int files = 0;
  int base_files = 0;
  int calls = 0;
  // Recursively: common/ has rooms of its own (common/base/).
  for (const char* dir : {"common", "sync_service", "async_service"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(
             std::string(ASYNCGRPC_SOURCE_DIR) + "/" + dir)) {
      const std::string path = entry.path().string();
      const std::string name = entry.path().filename().string();
      if (!(absl::EndsWith(name, ".cc") || absl::EndsWith(name, ".h")) ||
          absl::EndsWith(name, "_test.cc") ||
          absl::EndsWith(name, "_fuzzer.cc")) {
        continue;
      }
      ++files;
      base_files += absl::StrContains(path, "/common/base/") ? 1 : 0;
      const std::string text = ReadFile(path);
      SCOPED_TRACE(path);
      EXPECT_FALSE(std::regex_search(text, escaping));
      std::set<std::string> call_literals;
      for (auto it = std::sregex_iterator(text.begin(), text.end(), call);
           it != std::sregex_iterator(); ++it, ++calls) {
        const size_t open = it->position() + it->length() - 1;
        const std::string argument =
            CallArgument(text, open, sql_argument.at((*it)[1]));
        EXPECT_TRUE(std::regex_match(argument, allowed_argument))
            << (*it)[1] << " gets SQL from \"" << argument << "\"";
        call_literals.insert(argument);
      }
      const bool is_queries = path.ends_with("common/queries.cc");
      if (is_queries) {
        EXPECT_FALSE(std::regex_search(text, string_building));
      }
      for (auto it = std::sregex_iterator(text.begin(), text.end(), literal);
           it != std::sregex_iterator(); ++it) {
        const std::string found = it->str();
        if (std::regex_search(found, sql_keyword) && !is_queries) {
          EXPECT_TRUE(call_literals.count(found))
              << "SQL-looking literal outside common/queries.cc: " << found;
        }
      }
    }
  }
  EXPECT_GT(files, 20);
  EXPECT_GE(base_files, 5);
  EXPECT_GE(calls, 4);
}

// ------------------------------------------------------ loopback by default

TEST(DefaultsTest, ServicesListenOnLoopbackByDefault) {
  for (const ServiceKind& kind : AllServices()) {
    int exit_code = -1;
    absl::StatusOr<std::string> help = RunCommand(
        {BinaryPath(kind.binary), "--help"}, absl::Seconds(20), &exit_code);
    ASSERT_TRUE(help.ok()) << help.status();
    std::smatch match;
    ASSERT_TRUE(std::regex_search(
        *help, match, std::regex(R"re(--listen \(default: "([^"]*)"\))re")))
        << *help;
    const std::string listen = match[1];
    const std::string host = listen.substr(0, listen.rfind(':'));
    EXPECT_TRUE(host == "127.0.0.1" || host == "localhost" || host == "[::1]")
        << kind.name << " listens on " << listen << " by default";
  }
}

// ----------------------------------------------------- password never logged

// A service started with a password in --db, however the start goes, prints
// it nowhere.
class DbPasswordTest : public ::testing::TestWithParam<ServiceKind> {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<TempDir> dir = TempDir::Create("asyncgrpc-password-");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = new TempDir(*std::move(dir));
    auto cluster = PostgresCluster::Start(dir_->path() + "/pgdata");
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = cluster->release();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    delete dir_;
  }

  static void ExpectNoSecret(const std::string& text) {
    EXPECT_FALSE(absl::StrContains(text, "S3cret")) << text;
  }

  static TempDir* dir_;
  static PostgresCluster* cluster_;
};

TempDir* DbPasswordTest::dir_ = nullptr;
PostgresCluster* DbPasswordTest::cluster_ = nullptr;

TEST_P(DbPasswordTest, NotInTheOutputOfAFailedStart) {
  const int dead = PickFreePort();
  const std::string at = absl::StrCat("127.0.0.1:", dead);
  for (const std::string& db : {
           absl::StrCat("postgresql://asyncgrpc:", kSecret, "@", at, "/items"),
           absl::StrCat("postgresql://asyncgrpc:", kSecret, "@[::1"),
           absl::StrCat("postgresql://asyncgrpc:", kSecret, "@", at,
                        "/items?bogus=1"),
           absl::StrCat("postgresql://asyncgrpc:S3cret%50assw0rd@", at,
                        "/it%zzems"),
           absl::StrCat("postgresql://asyncgrpc@", at,
                        "/items?password=", kSecret, "&sslmode=bogus"),
           absl::StrCat("postgresql://asyncgrpc@", at,
                        "/items?password=", kSecret, "&bogus"),
           absl::StrCat("host=127.0.0.1 port=", dead,
                        " user=asyncgrpc password=", kSecret, " bogus"),
           absl::StrCat("host=127.0.0.1 port=", dead, " password = '", kSecret),
           absl::StrCat("host=127.0.0.1 port=", dead, " password=", kSecret,
                        " sslmode=bogus"),
       }) {
    SCOPED_TRACE(db);
    int exit_code = -1;
    absl::StatusOr<std::string> output = RunCommand(
        {"/bin/sh", "-c",
         absl::StrCat("exec '", BinaryPath(GetParam().binary),
                      "' \"$0\" "
                      "--db_connect_timeout=1s --listen=127.0.0.1:0 2>&1"),
         "--db=" + db},
        absl::Seconds(20), &exit_code);
    ASSERT_TRUE(output.ok()) << output.status();
    EXPECT_EQ(exit_code, 2) << *output;
    EXPECT_FALSE(output->empty());
    ExpectNoSecret(*output);
  }
}

// Against a live database (trust auth, so the password is irrelevant but
// accepted), through an outage and a shutdown.
TEST_P(DbPasswordTest, NotInTheOutputOfARunningService) {
  ASSERT_NE(cluster_, nullptr);
  std::string uri = cluster_->uri();
  absl::StrReplaceAll(
      {{"asyncgrpc@", absl::StrCat("asyncgrpc:", kSecret, "@")}}, &uri);
  ASSERT_TRUE(absl::StrContains(uri, kSecret)) << uri;
  auto service = RunningService::Start(
      GetParam(), uri, {"--db_connect_timeout=1s"}, {.capture_stderr = true});
  ASSERT_TRUE(service.ok()) << service.status();
  auto stub = (*service)->NewStub();
  auto get = [&] {
    GetItemRequest request;
    request.set_id(25);
    Item item;
    auto context = ContextWithTimeout(absl::Seconds(5));
    return stub->GetItem(context.get(), request, &item);
  };
  EXPECT_TRUE(get().ok());

  ASSERT_TRUE(cluster_->Stop().ok());
  EXPECT_TRUE(WaitFor(
      [&] {
        return (*service)
                   ->Health("items.v1.ItemService")
                   .value_or(HealthCheckResponse::UNKNOWN) ==
               HealthCheckResponse::NOT_SERVING;
      },
      absl::Seconds(10)));
  for (int i = 0; i < 3; ++i) {
    const grpc::Status status = get();
    EXPECT_FALSE(status.ok());
    ExpectNoSecret(status.error_message());
  }
  ASSERT_TRUE(cluster_->Restart().ok());
  EXPECT_TRUE(WaitFor([&] { return get().ok(); }, absl::Seconds(15)));

  ASSERT_TRUE((*service)->process().Signal(SIGTERM).ok());
  EXPECT_EQ((*service)->process().Wait(absl::Seconds(20)).value_or(-1), 0);
  const std::string output = (*service)->process().ConsumeCapturedStdout();
  // The outage was logged (so stderr was captured), without the password.
  EXPECT_TRUE(absl::StrContains(output, "unreachable")) << output;
  ExpectNoSecret(output);
}

INSTANTIATE_TEST_SUITE_P(Services, DbPasswordTest,
                         ::testing::ValuesIn(AllServices()),
                         [](const auto& info) { return info.param.name; });

// --------------------------------------------------------------------- TLS

class TlsTest : public ::testing::TestWithParam<ServiceKind> {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<TempDir> dir = TempDir::Create("asyncgrpc-tls-");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = new TempDir(*std::move(dir));
    absl::StatusOr<TlsFiles> server =
        MakeSelfSignedCert(dir_->path(), "server");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = new TlsFiles(*server);
    absl::StatusOr<TlsFiles> stranger =
        MakeSelfSignedCert(dir_->path(), "stranger");
    ASSERT_TRUE(stranger.ok()) << stranger.status();
    stranger_ = new TlsFiles(*stranger);
  }
  static void TearDownTestSuite() {
    delete stranger_;
    delete server_;
    delete dir_;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(stranger_, nullptr);
    auto service = RunningService::Start(
        GetParam(), SharedDatabaseUri(),
        {"--tls_cert=" + server_->cert_path, "--tls_key=" + server_->key_path},
        {.tls = ClientTls{.root_certs_pem = server_->cert_pem}});
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
  }

  static grpc::Status GetItem(std::shared_ptr<grpc::Channel> channel) {
    auto stub = items::v1::ItemService::NewStub(channel);
    GetItemRequest request;
    request.set_id(25);
    Item item;
    auto context = ContextWithTimeout(absl::Seconds(5));
    grpc::Status status = stub->GetItem(context.get(), request, &item);
    if (status.ok() && item.id() != 25) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "wrong item");
    }
    return status;
  }

  static TempDir* dir_;
  static TlsFiles* server_;
  static TlsFiles* stranger_;
  std::unique_ptr<RunningService> service_;
};

TempDir* TlsTest::dir_ = nullptr;
TlsFiles* TlsTest::server_ = nullptr;
TlsFiles* TlsTest::stranger_ = nullptr;

TEST_P(TlsTest, ServesTlsAndOnlyTls) {
  // Over TLS, verified against the self-signed root, by IP and by name.
  grpc::Status status = GetItem(service_->NewChannel());
  EXPECT_TRUE(status.ok()) << status.error_message();
  status = GetItem(service_->NewChannel(ClientTls{
      .root_certs_pem = server_->cert_pem, .server_name = "localhost"}));
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(service_->Health("items.v1.ItemService")
                .value_or(HealthCheckResponse::UNKNOWN),
            HealthCheckResponse::SERVING);
  // A plaintext client gets nowhere.
  status = GetItem(service_->NewChannel(std::nullopt));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  // Nor does one that trusts another root, or expects another name.
  status = GetItem(
      service_->NewChannel(ClientTls{.root_certs_pem = stranger_->cert_pem}));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  status = GetItem(service_->NewChannel(ClientTls{
      .root_certs_pem = server_->cert_pem, .server_name = "example.com"}));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  // Still serving after all that.
  status = GetItem(service_->NewChannel());
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_P(TlsTest, LoadgenRampOverTls) {
  absl::StatusOr<TempDir> out = TempDir::Create("asyncgrpc-tls-loadgen-");
  ASSERT_TRUE(out.ok()) << out.status();
  auto run = [&](std::vector<std::string> extra, int* exit_code) {
    std::vector<std::string> args = {
        BinaryPath("loadgen"),
        absl::StrCat("--target=", GetParam().name, "=", service_->address()),
        "--users=2",
        "--step_duration=2s",
        "--warmup=500ms",
        "--think_time=0",
        "--scenario=seed",
        absl::StrCat("--out=", out->path(), "/run")};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string command = "exec";
    for (const std::string& arg : args)
      absl::StrAppend(&command, " '", arg, "'");
    absl::StatusOr<std::string> output = RunCommand(
        {"/bin/sh", "-c", command + " 2>&1"}, absl::Seconds(60), exit_code);
    EXPECT_TRUE(output.ok()) << output.status();
    return output.value_or("");
  };
  int exit_code = -1;
  std::string output = run({"--tls_ca=" + server_->cert_path}, &exit_code);
  ASSERT_EQ(exit_code, 0) << output;
  const std::vector<std::string> steps = absl::StrSplit(
      ReadFile(out->path() + "/run/steps.csv"), '\n', absl::SkipEmpty());
  ASSERT_EQ(steps.size(), 2u);  // Header and one step.
  const std::vector<std::string> header = absl::StrSplit(steps[0], ',');
  const std::vector<std::string> step = absl::StrSplit(steps[1], ',');
  ASSERT_EQ(header.size(), step.size());
  std::map<std::string, std::string> columns;
  for (size_t i = 0; i < header.size(); ++i) columns[header[i]] = step[i];
  EXPECT_GT(std::stoll(columns["ok"]), 0) << steps[1];
  EXPECT_EQ(columns["ok"], columns["requests"]) << steps[1];
  EXPECT_EQ(columns["errors"], "") << steps[1];

  // With the name given explicitly, too.
  output = run({"--tls_ca=" + server_->cert_path, "--tls_server_name=localhost",
                "--step_duration=1s"},
               &exit_code);
  EXPECT_EQ(exit_code, 0) << output;
  // Without TLS, or trusting another root, the target is unreachable: one
  // line, exit 2.
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{},
        std::vector<std::string>{"--tls_ca=" + stranger_->cert_path}}) {
    output = run(extra, &exit_code);
    EXPECT_EQ(exit_code, 2) << output;
    EXPECT_TRUE(absl::StrContains(output, "cannot reach target")) << output;
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
  }
}

INSTANTIATE_TEST_SUITE_P(Services, TlsTest, ::testing::ValuesIn(AllServices()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace asyncgrpc::testing
