#include "common/queries.h"

#include <cctype>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <string>

#include "common/big_endian.h"
#include "common/request_validation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace asyncgrpc {
namespace {

using ::testing::HasSubstr;

constexpr Oid kInt4Oid = 23;
constexpr Oid kInt8Oid = 20;

// Decodes parameter `index` as a signed big-endian integer of its length.
int64_t ParamValue(const BoundQuery& query, int index) {
  const int length = query.lengths[index];
  const uint64_t raw = LoadBigEndian(query.values[index], length);
  return length == 4 ? static_cast<int32_t>(raw) : static_cast<int64_t>(raw);
}

// Every parameter in use points at its own storage slot and is binary.
void ExpectSelfContained(const BoundQuery& query) {
  ASSERT_NE(query.statement, nullptr);
  EXPECT_EQ(query.param_count, query.statement->param_count);
  for (int i = 0; i < query.param_count; ++i) {
    EXPECT_EQ(query.values[i], query.storage[i].data()) << "param " << i;
    EXPECT_EQ(query.formats[i], kBinaryFormat) << "param " << i;
    EXPECT_EQ(kBinaryFormat, 1);
    // The declared type decides the width PostgreSQL expects.
    const Oid type = query.statement->param_types[i];
    if (type == kInt8Oid) {
      EXPECT_EQ(query.lengths[i], 8) << "param " << i;
    } else if (type == kInt4Oid) {
      EXPECT_EQ(query.lengths[i], 4) << "param " << i;
    } else {
      ADD_FAILURE() << "param " << i << " has unexpected type oid " << type;
    }
  }
}

// The numbers n of every `$n` in `sql`.
std::set<int> Placeholders(const std::string& sql) {
  std::set<int> numbers;
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] != '$') continue;
    size_t j = i + 1;
    int n = 0;
    while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j]))) {
      n = n * 10 + (sql[j] - '0');
      ++j;
    }
    EXPECT_GT(j, i + 1) << "bare $ at " << i << " in " << sql;
    numbers.insert(n);
    i = j - 1;
  }
  return numbers;
}

TEST(BindGetItemTest, ChoosesGetItemStatement) {
  BoundQuery query;
  BindGetItem(25, query);
  EXPECT_EQ(query.statement, &kGetItemStatement);
  EXPECT_EQ(query.param_count, 1);
  ExpectSelfContained(query);
}

TEST(BindGetItemTest, EncodesIdAsBigEndianInt8) {
  BoundQuery query;
  BindGetItem(0x0102030405060708, query);
  ASSERT_EQ(query.lengths[0], 8);
  const char expected[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(std::memcmp(query.values[0], expected, 8), 0);
  EXPECT_EQ(ParamValue(query, 0), 0x0102030405060708);
}

TEST(BindGetItemTest, EncodesExtremeIds) {
  for (int64_t id : {int64_t{1}, int64_t{27}, int64_t{-1},
                     std::numeric_limits<int64_t>::max(),
                     std::numeric_limits<int64_t>::min()}) {
    BoundQuery query;
    BindGetItem(id, query);
    EXPECT_EQ(ParamValue(query, 0), id);
  }
  BoundQuery query;
  BindGetItem(-1, query);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(static_cast<unsigned char>(query.values[0][i]), 0xff);
  }
}

TEST(BindGetItemTest, RebindingOverwrites) {
  BoundQuery query;
  BindListItems({.page_size = 7, .after = PageCursor{.number = 1, .id = 2}},
                query);
  BindGetItem(42, query);
  EXPECT_EQ(query.statement, &kGetItemStatement);
  EXPECT_EQ(query.param_count, 1);
  EXPECT_EQ(ParamValue(query, 0), 42);
  ExpectSelfContained(query);
}

TEST(BindListItemsTest, FirstPageUsesFirstPageStatement) {
  BoundQuery query;
  BindListItems({.page_size = 7}, query);
  EXPECT_EQ(query.statement, &kListFirstPageStatement);
  EXPECT_EQ(query.param_count, 1);
  ExpectSelfContained(query);
  // LIMIT is one more than the page, to learn whether another page exists.
  ASSERT_EQ(query.lengths[0], 8);
  EXPECT_EQ(ParamValue(query, 0), 8);
}

TEST(BindListItemsTest, FirstPageLimitForDefaultAndMaximum) {
  BoundQuery query;
  BindListItems(ListItemsQuery(), query);
  EXPECT_EQ(ParamValue(query, 0), kDefaultPageSize + 1);
  BindListItems({.page_size = kMaxPageSize}, query);
  EXPECT_EQ(ParamValue(query, 0), 1001);
  BindListItems({.page_size = 1}, query);
  EXPECT_EQ(ParamValue(query, 0), 2);
}

TEST(BindListItemsTest, LimitDoesNotOverflowForLargestInt32) {
  BoundQuery query;
  BindListItems({.page_size = std::numeric_limits<int32_t>::max()}, query);
  EXPECT_EQ(ParamValue(query, 0),
            int64_t{std::numeric_limits<int32_t>::max()} + 1);
}

TEST(BindListItemsTest, NextPageUsesNextPageStatement) {
  BoundQuery query;
  BindListItems({.page_size = 7, .after = PageCursor{.number = 25, .id = 27}},
                query);
  EXPECT_EQ(query.statement, &kListNextPageStatement);
  EXPECT_EQ(query.param_count, 3);
  ExpectSelfContained(query);
  ASSERT_EQ(query.lengths[0], 4);
  ASSERT_EQ(query.lengths[1], 8);
  ASSERT_EQ(query.lengths[2], 8);
  EXPECT_EQ(ParamValue(query, 0), 25);
  EXPECT_EQ(ParamValue(query, 1), 27);
  EXPECT_EQ(ParamValue(query, 2), 8);
}

TEST(BindListItemsTest, NextPageEncodesBytesBigEndian) {
  BoundQuery query;
  BindListItems(
      {.page_size = 0x0ff,
       .after = PageCursor{.number = 0x01020304, .id = 0x05060708090a0b0c}},
      query);
  const char number[4] = {1, 2, 3, 4};
  const char id[8] = {5, 6, 7, 8, 9, 10, 11, 12};
  const char limit[8] = {0, 0, 0, 0, 0, 0, 1, 0};
  EXPECT_EQ(std::memcmp(query.values[0], number, 4), 0);
  EXPECT_EQ(std::memcmp(query.values[1], id, 8), 0);
  EXPECT_EQ(std::memcmp(query.values[2], limit, 8), 0);
}

TEST(BindListItemsTest, NextPageNegativeAndExtremeCursor) {
  struct Case {
    int32_t number;
    int64_t id;
  };
  for (const Case& c : {Case{-1, -1},
                        Case{std::numeric_limits<int32_t>::min(),
                             std::numeric_limits<int64_t>::min()},
                        Case{std::numeric_limits<int32_t>::max(),
                             std::numeric_limits<int64_t>::max()}}) {
    BoundQuery query;
    BindListItems({.page_size = 1000,
                   .after = PageCursor{.number = c.number, .id = c.id}},
                  query);
    EXPECT_EQ(ParamValue(query, 0), c.number);
    EXPECT_EQ(ParamValue(query, 1), c.id);
    EXPECT_EQ(ParamValue(query, 2), 1001);
  }
}

TEST(BindListItemsTest, RebindingToFirstPageReusesQuery) {
  BoundQuery query;
  BindListItems({.page_size = 7, .after = PageCursor{.number = 1, .id = 2}},
                query);
  BindListItems({.page_size = 3}, query);
  EXPECT_EQ(query.statement, &kListFirstPageStatement);
  EXPECT_EQ(query.param_count, 1);
  EXPECT_EQ(ParamValue(query, 0), 4);
  ExpectSelfContained(query);
}

TEST(StatementsTest, AllStatementsListsEachStatementOnce) {
  std::set<const Statement*> statements(AllStatements().begin(),
                                        AllStatements().end());
  EXPECT_EQ(statements.size(), AllStatements().size());
  EXPECT_EQ(statements, (std::set<const Statement*>{&kGetItemStatement,
                                                    &kListFirstPageStatement,
                                                    &kListNextPageStatement}));
}

TEST(StatementsTest, NamesAreDistinctAndNonEmpty) {
  std::set<std::string> names;
  for (const Statement* statement : AllStatements()) {
    ASSERT_NE(statement, nullptr);
    ASSERT_NE(statement->name, nullptr);
    EXPECT_STRNE(statement->name, "");
    EXPECT_TRUE(names.insert(statement->name).second)
        << "duplicate statement name " << statement->name;
  }
}

TEST(StatementsTest, PlaceholdersMatchParamCount) {
  for (const Statement* statement : AllStatements()) {
    SCOPED_TRACE(statement->name);
    ASSERT_NE(statement->sql, nullptr);
    ASSERT_GE(statement->param_count, 1);
    ASSERT_LE(statement->param_count,
              static_cast<int>(statement->param_types.size()));
    std::set<int> expected;
    for (int n = 1; n <= statement->param_count; ++n) {
      expected.insert(n);
    }
    EXPECT_EQ(Placeholders(statement->sql), expected) << statement->sql;
    for (int i = 0; i < statement->param_count; ++i) {
      EXPECT_NE(statement->param_types[i], 0u) << "param " << i;
    }
    for (size_t i = statement->param_count; i < statement->param_types.size();
         ++i) {
      EXPECT_EQ(statement->param_types[i], 0u) << "unused param " << i;
    }
  }
}

TEST(StatementsTest, SqlShape) {
  EXPECT_THAT(kGetItemStatement.sql, HasSubstr("FROM items WHERE id = $1"));
  EXPECT_THAT(kListFirstPageStatement.sql,
              HasSubstr("ORDER BY number, id LIMIT $1"));
  EXPECT_THAT(kListNextPageStatement.sql,
              HasSubstr("WHERE (number, id) > ($1, $2)"));
  EXPECT_THAT(kListNextPageStatement.sql,
              HasSubstr("ORDER BY number, id LIMIT $3"));
  // All three select the same columns, which item_results maps by position.
  const std::string columns =
      "SELECT id, number, name, type1, type2, total, hp, attack, defense, "
      "sp_attack, sp_defense, speed, generation, legendary FROM items";
  for (const Statement* statement : AllStatements()) {
    EXPECT_THAT(statement->sql, HasSubstr(columns)) << statement->name;
  }
}

TEST(StatementsTest, ParamTypesMatchBinding) {
  EXPECT_EQ(kGetItemStatement.param_types[0], kInt8Oid);
  EXPECT_EQ(kListFirstPageStatement.param_types[0], kInt8Oid);
  EXPECT_EQ(kListNextPageStatement.param_types[0], kInt4Oid);
  EXPECT_EQ(kListNextPageStatement.param_types[1], kInt8Oid);
  EXPECT_EQ(kListNextPageStatement.param_types[2], kInt8Oid);
}

}  // namespace
}  // namespace asyncgrpc
