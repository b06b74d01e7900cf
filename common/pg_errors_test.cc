#include "common/pg_errors.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libpq-fe.h"

namespace asyncgrpc {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using ConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;

// --- OneLine ---

TEST(OneLineTest, FoldsNewlinesAndTrimsTrailingWhitespace) {
  EXPECT_EQ(OneLine("ERROR:  relation \"x\" does not exist\n"
                    "LINE 1: SELECT * FROM x\n"
                    "    ^\n"),
            "ERROR:  relation \"x\" does not exist; "
            "LINE 1: SELECT * FROM x; "
            "    ^");
  EXPECT_EQ(OneLine("could not connect\n"), "could not connect");
  EXPECT_EQ(OneLine("a\nb\nc"), "a; b; c");
  EXPECT_EQ(OneLine("trailing \t \n\n"), "trailing");
}

TEST(OneLineTest, TabsBecomeSpaces) {
  EXPECT_EQ(OneLine("a\tb\n\tc\n"), "a b;  c");
}

TEST(OneLineTest, AlreadyOneLineIsUnchanged) {
  EXPECT_EQ(OneLine("plain message"), "plain message");
}

TEST(OneLineTest, ResultHasNoNewlines) {
  const std::string line = OneLine("x\n\ny\n\nz\n");
  EXPECT_THAT(line, Not(HasSubstr("\n")));
  EXPECT_EQ(line, "x; ; y; ; z");
}

TEST(OneLineTest, EmptyOrBlankSaysNoDetails) {
  EXPECT_EQ(OneLine(""), "no details from libpq");
  EXPECT_EQ(OneLine("\n"), "no details from libpq");
  EXPECT_EQ(OneLine(" \t\n \n"), "no details from libpq");
}

// --- IsConnectionFailure ---

TEST(IsConnectionFailureTest, OnlyUnavailable) {
  EXPECT_TRUE(IsConnectionFailure(absl::UnavailableError("x")));
  EXPECT_FALSE(IsConnectionFailure(absl::OkStatus()));
  EXPECT_FALSE(IsConnectionFailure(absl::InternalError("x")));
  EXPECT_FALSE(IsConnectionFailure(absl::DeadlineExceededError("x")));
  EXPECT_FALSE(IsConnectionFailure(absl::ResourceExhaustedError("x")));
  EXPECT_FALSE(IsConnectionFailure(absl::NotFoundError("x")));
}

// --- libpq behaviour the mapping relies on ---

TEST(LibpqTest, NullConnIsBadWithMessage) {
  EXPECT_EQ(PQstatus(nullptr), CONNECTION_BAD);
  ASSERT_NE(PQerrorMessage(nullptr), nullptr);
  EXPECT_STRNE(PQerrorMessage(nullptr), "");
}

TEST(LibpqTest, HandMadeResultHasNoSqlstateOrMessage) {
  ResultPtr result(PQmakeEmptyPGresult(nullptr, PGRES_FATAL_ERROR));
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(PQresultStatus(result.get()), PGRES_FATAL_ERROR);
  EXPECT_EQ(PQresultErrorField(result.get(), PG_DIAG_SQLSTATE), nullptr);
  EXPECT_STREQ(PQresultErrorMessage(result.get()), "");
}

// --- StatusFromResult without a server ---

TEST(StatusFromResultTest, SuccessfulResultsAreOk) {
  for (ExecStatusType exec_status : {PGRES_TUPLES_OK, PGRES_COMMAND_OK}) {
    ResultPtr result(PQmakeEmptyPGresult(nullptr, exec_status));
    EXPECT_TRUE(StatusFromResult(result.get(), nullptr).ok())
        << PQresStatus(exec_status);
  }
}

TEST(StatusFromResultTest, NullResultAndNullConnIsUnavailable) {
  absl::Status status = StatusFromResult(nullptr, nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(std::string(status.message()),
              StartsWith("database unavailable: "));
  EXPECT_THAT(status.message(), HasSubstr(OneLine(PQerrorMessage(nullptr))));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("\n")));
  EXPECT_TRUE(IsConnectionFailure(status));
}

TEST(StatusFromResultTest, FatalErrorWithNullConnIsUnavailable) {
  ResultPtr result(PQmakeEmptyPGresult(nullptr, PGRES_FATAL_ERROR));
  absl::Status status = StatusFromResult(result.get(), nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  // The result has no message, so the connection's explains.
  EXPECT_THAT(status.message(), HasSubstr(OneLine(PQerrorMessage(nullptr))));
}

TEST(StatusFromResultTest, OtherNonSuccessStatusesAreErrors) {
  for (ExecStatusType exec_status :
       {PGRES_EMPTY_QUERY, PGRES_BAD_RESPONSE, PGRES_NONFATAL_ERROR,
        PGRES_FATAL_ERROR, PGRES_COPY_IN}) {
    ResultPtr result(PQmakeEmptyPGresult(nullptr, exec_status));
    EXPECT_FALSE(StatusFromResult(result.get(), nullptr).ok())
        << PQresStatus(exec_status);
  }
}

// A connection that never reached a server: CONNECTION_BAD with a message.
ConnPtr FailedConnection() {
  ConnPtr conn(PQconnectdb(
      "host=/nonexistent/asyncgrpc-pg-errors-test port=1 connect_timeout=1"));
  EXPECT_NE(conn, nullptr);
  EXPECT_EQ(PQstatus(conn.get()), CONNECTION_BAD);
  return conn;
}

TEST(StatusFromResultTest, NullResultWithFailedConnIsUnavailable) {
  ConnPtr conn = FailedConnection();
  absl::Status status = StatusFromResult(nullptr, conn.get());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr(OneLine(PQerrorMessage(conn.get()))));
  EXPECT_THAT(status.message(), HasSubstr("asyncgrpc-pg-errors-test"));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("\n")));
}

TEST(StatusFromResultTest, ResultMessageIsPreferredOverConnMessage) {
  ConnPtr conn = FailedConnection();
  // PQmakeEmptyPGresult copies the connection's error message into an error
  // result.
  ResultPtr result(PQmakeEmptyPGresult(conn.get(), PGRES_FATAL_ERROR));
  ASSERT_STRNE(PQresultErrorMessage(result.get()), "");
  absl::Status status = StatusFromResult(result.get(), conn.get());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(),
              HasSubstr(OneLine(PQresultErrorMessage(result.get()))));
}

TEST(StatusFromResultTest, OkResultWithFailedConnIsStillOk) {
  ConnPtr conn = FailedConnection();
  ResultPtr result(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK));
  EXPECT_TRUE(StatusFromResult(result.get(), conn.get()).ok());
}

// --- StatusFromResult with SQLSTATEs, from a scripted fake server ---
//
// Hand-made results cannot carry SQLSTATE fields, so a tiny in-process server
// on a Unix socket speaks just enough of the v3 protocol: it trusts the
// startup packet, then answers each simple query whose text is a SQLSTATE with
// an ErrorResponse carrying it, "ok" with CommandComplete, and "close" by
// dropping the connection. No database involved.
class FakeServer {
 public:
  FakeServer() { Start(); }

  ~FakeServer() {
    if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) close(listen_fd_);
    if (!path_.empty()) unlink(path_.c_str());
    if (!dir_.empty()) rmdir(dir_.c_str());
  }

  std::string conninfo() const {
    return absl::StrCat("host=", dir_, " port=5432 user=test dbname=test ",
                        "connect_timeout=5");
  }

 private:
  // Listens on <temp dir>/.s.PGSQL.5432 and serves one connection.
  void Start() {
    char dir_template[] = "/tmp/asyncgrpc_pg_errors_XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    path_ = dir_ + "/.s.PGSQL.5432";
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(listen_fd_, 0);
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(path_.size(), sizeof(addr.sun_path));
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    ASSERT_EQ(
        bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(listen(listen_fd_, 1), 0);
    thread_ = std::thread([this] { Serve(); });
  }

  static bool ReadFull(int fd, char* out, size_t size) {
    while (size > 0) {
      const ssize_t n = read(fd, out, size);
      if (n <= 0) return false;
      out += n;
      size -= static_cast<size_t>(n);
    }
    return true;
  }

  static void WriteAll(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = write(fd, data.data() + done, data.size() - done);
      if (n <= 0) return;
      done += static_cast<size_t>(n);
    }
  }

  static std::string Message(char type, const std::string& body) {
    const uint32_t length = htonl(static_cast<uint32_t>(body.size() + 4));
    std::string message(1, type);
    message.append(reinterpret_cast<const char*>(&length), 4);
    return message + body;
  }

  static std::string Field(char code, const std::string& value) {
    return std::string(1, code) + value + '\0';
  }

  void Serve() {
    const int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    timeval timeout = {.tv_sec = 10, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ServeConnection(fd);
    close(fd);
  }

  void ServeConnection(int fd) {
    // Startup packet (libpq requests no SSL/GSS encryption on Unix sockets,
    // but decline them anyway).
    while (true) {
      uint32_t length;
      if (!ReadFull(fd, reinterpret_cast<char*>(&length), 4)) return;
      length = ntohl(length);
      if (length < 8 || length > 10000) return;
      std::string body(length - 4, '\0');
      if (!ReadFull(fd, body.data(), body.size())) return;
      uint32_t code;
      std::memcpy(&code, body.data(), 4);
      code = ntohl(code);
      if (code == 80877103 || code == 80877104) {  // SSLRequest, GSSENCRequest
        WriteAll(fd, "N");
        continue;
      }
      break;
    }
    const std::string ready = Message('Z', "I");
    WriteAll(
        fd,
        Message('R', std::string("\0\0\0\0", 4)) +
            Message('S', std::string("server_version\0"
                                     "15.0\0",
                                     20)) +
            Message('S', std::string("client_encoding\0UTF8\0", 21)) +
            Message('S', std::string("standard_conforming_strings\0on\0", 31)) +
            Message('K', std::string(8, '\1')) + ready);
    while (true) {
      char type;
      uint32_t length;
      if (!ReadFull(fd, &type, 1) ||
          !ReadFull(fd, reinterpret_cast<char*>(&length), 4)) {
        return;
      }
      length = ntohl(length);
      if (length < 4 || length > 100000) return;
      std::string body(length - 4, '\0');
      if (!ReadFull(fd, body.data(), body.size())) return;
      if (type == 'X') return;
      if (type != 'Q') return;
      const std::string query = body.substr(0, body.find('\0'));
      if (query == "close") return;
      if (query == "ok") {
        WriteAll(fd, Message('C', std::string("SELECT 0\0", 9)) + ready);
        continue;
      }
      WriteAll(fd, Message('E', Field('S', "ERROR") + Field('V', "ERROR") +
                                    Field('C', query) +
                                    Field('M', "fake failure " + query) +
                                    Field('D', "line one\nline two") +
                                    std::string(1, '\0')) +
                       ready);
    }
  }

  std::string dir_;
  std::string path_;
  int listen_fd_ = -1;
  std::thread thread_;
};

class StatusFromServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_.reset(PQconnectdb(server_.conninfo().c_str()));
    ASSERT_NE(conn_, nullptr);
    ASSERT_EQ(PQstatus(conn_.get()), CONNECTION_OK)
        << PQerrorMessage(conn_.get());
  }

  // Runs `query` against the fake server and maps the result.
  absl::Status Run(const char* query) {
    ResultPtr result(PQexec(conn_.get(), query));
    return StatusFromResult(result.get(), conn_.get());
  }

  FakeServer server_;
  ConnPtr conn_;
};

TEST_F(StatusFromServerTest, FakeServerCarriesSqlstate) {
  ResultPtr result(PQexec(conn_.get(), "42P01"));
  ASSERT_EQ(PQresultStatus(result.get()), PGRES_FATAL_ERROR);
  EXPECT_STREQ(PQresultErrorField(result.get(), PG_DIAG_SQLSTATE), "42P01");
  EXPECT_EQ(PQstatus(conn_.get()), CONNECTION_OK);
}

TEST_F(StatusFromServerTest, Ok) { EXPECT_TRUE(Run("ok").ok()); }

TEST_F(StatusFromServerTest, QueryCanceledIsDeadlineExceeded) {
  absl::Status status = Run("57014");
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_FALSE(IsConnectionFailure(status));
}

TEST_F(StatusFromServerTest, TooManyConnectionsIsResourceExhausted) {
  absl::Status status = Run("53300");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_THAT(status.message(), HasSubstr("fake failure 53300"));
}

TEST_F(StatusFromServerTest, ConnectionExceptionsAreUnavailable) {
  for (const char* sqlstate : {"08000", "08003", "08006", "08001", "08004",
                               "57P01", "57P02", "57P03"}) {
    absl::Status status = Run(sqlstate);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable)
        << sqlstate << ": " << status;
    EXPECT_TRUE(IsConnectionFailure(status)) << sqlstate;
    EXPECT_THAT(status.message(), HasSubstr(sqlstate));
  }
}

TEST_F(StatusFromServerTest, OtherSqlstatesAreInternalWithCode) {
  for (const char* sqlstate : {"42P01", "23505", "22P02", "XX000", "57000"}) {
    absl::Status status = Run(sqlstate);
    EXPECT_EQ(status.code(), absl::StatusCode::kInternal)
        << sqlstate << ": " << status;
    EXPECT_THAT(status.message(),
                HasSubstr(absl::StrCat("database error ", sqlstate, ": ")));
    EXPECT_THAT(status.message(),
                HasSubstr(absl::StrCat("fake failure ", sqlstate)));
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr("\n")));
    EXPECT_FALSE(IsConnectionFailure(status));
  }
}

TEST_F(StatusFromServerTest, ErrorsLeaveConnectionUsable) {
  EXPECT_EQ(Run("42P01").code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(Run("ok").ok());
}

TEST_F(StatusFromServerTest, LocalFailureWithHealthyConnIsUnavailable) {
  // No SQLSTATE and a connection libpq still considers OK.
  ResultPtr result(PQmakeEmptyPGresult(conn_.get(), PGRES_FATAL_ERROR));
  ASSERT_EQ(PQstatus(conn_.get()), CONNECTION_OK);
  absl::Status status = StatusFromResult(result.get(), conn_.get());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("no details from libpq"));
}

TEST_F(StatusFromServerTest, ServerClosingMidQueryIsUnavailable) {
  ResultPtr result(PQexec(conn_.get(), "close"));
  absl::Status status = StatusFromResult(result.get(), conn_.get());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(PQstatus(conn_.get()), CONNECTION_BAD);
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("\n")));
}

}  // namespace
}  // namespace asyncgrpc
