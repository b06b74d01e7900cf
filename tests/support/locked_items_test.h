// A GoogleTest fixture for tests of a database layer (both services' pools,
// the sync watchdog): one private PostgreSQL cluster for the whole suite, a connection
// that holds the items table locked so that queries block until Unlock(), and
// one to look at the server's sessions from outside.
//
//   class ConnectionPoolTest : public testing::LockedItemsTest {};
//   TEST_F(ConnectionPoolTest, ...) {
//     Lock();                                   // queries on items now wait
//     ... observer().Query("SELECT ... FROM pg_stat_activity ...") ...
//     Unlock();
//   }
#pragma once

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/postgres_cluster.h"

namespace asyncgrpc::testing {

// `uri` with lock_timeout=20s: a query that a test expects to be cancelled and
// is not ends with SQLSTATE 55P03 instead of hanging the test.
inline std::string UriWithLockTimeout(const std::string& uri) {
  return absl::StrCat(uri, absl::StrContains(uri, '?') ? "&" : "?",
                      "options=-c%20lock_timeout%3D20s");
}

class LockedItemsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto cluster = PostgresCluster::StartPrivate();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(cluster).value().release();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(cluster_, nullptr) << "the suite's cluster did not start";
    auto locker = HeldConnection::Connect(cluster_->uri());
    ASSERT_TRUE(locker.ok()) << locker.status();
    locker_ = *std::move(locker);
    auto observer = HeldConnection::Connect(cluster_->uri());
    ASSERT_TRUE(observer.ok()) << observer.status();
    observer_ = *std::move(observer);
  }

  // The suite's cluster.
  static PostgresCluster& cluster() { return *cluster_; }

  // Makes every query on items block until Unlock().
  void Lock() {
    ASSERT_TRUE(
        locker_->Exec("BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE").ok());
  }
  void Unlock() { ASSERT_TRUE(locker_->Exec("ROLLBACK").ok()); }

  // A session of its own, for pg_stat_activity and the like.
  HeldConnection& observer() { return *observer_; }

 private:
  // Suites run one after another, so the suites of one binary can share it.
  inline static PostgresCluster* cluster_ = nullptr;
  std::unique_ptr<HeldConnection> locker_;
  std::unique_ptr<HeldConnection> observer_;
};

}  // namespace asyncgrpc::testing
