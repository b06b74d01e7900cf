#include "common/item_results.h"

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/big_endian.h"
#include "common/page_token.h"
#include "common/pg_result_builder.h"
#include "common/request_validation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "items/v1/items.pb.h"
#include "libpq-fe.h"

namespace asyncgrpc {
namespace {

using ::testing::HasSubstr;

using testing::Bool;
using testing::Cell;
using testing::ColumnSpec;
using testing::Int4;
using testing::Int8;
using testing::ItemColumns;
using testing::kBinaryFormat;
using testing::kBoolOid;
using testing::kInt4Oid;
using testing::kInt8Oid;
using testing::kTextFormat;
using testing::kTextOid;
using testing::kVarcharOid;
using testing::MakeItemResult;
using testing::MakeResult;
using testing::Row;
using testing::Text;
using ResultPtr = testing::PgResultBuilderPtr;

// A row whose every field differs from the others, so a swapped column shows.
Row DistinctRow() {
  Row row;
  row.id = 0x0102030405060708;
  row.number = 25;
  row.name = "Pikachu";
  row.type1 = "Electric";
  row.type2 = "Fairy";
  row.total = 320;
  row.hp = 35;
  row.attack = 55;
  row.defense = 40;
  row.sp_attack = 50;
  row.sp_defense = 51;
  row.speed = 90;
  row.generation = 6;
  row.legendary = true;
  return row;
}

void ExpectItemEq(const items::v1::Item& item, const Row& row) {
  EXPECT_EQ(item.id(), row.id);
  EXPECT_EQ(item.number(), row.number);
  EXPECT_EQ(item.name(), row.name);
  EXPECT_EQ(item.type1(), row.type1);
  EXPECT_EQ(item.type2(), row.type2.value_or(""));
  EXPECT_EQ(item.total(), row.total);
  EXPECT_EQ(item.hp(), row.hp);
  EXPECT_EQ(item.attack(), row.attack);
  EXPECT_EQ(item.defense(), row.defense);
  EXPECT_EQ(item.sp_attack(), row.sp_attack);
  EXPECT_EQ(item.sp_defense(), row.sp_defense);
  EXPECT_EQ(item.speed(), row.speed);
  EXPECT_EQ(item.generation(), row.generation);
  EXPECT_EQ(item.legendary(), row.legendary.value_or(false));
}

TEST(ReadItemRowTest, MapsEveryField) {
  const Row row = DistinctRow();
  ResultPtr result = MakeItemResult({row});
  items::v1::Item item;
  ASSERT_TRUE(ReadItemRow(result.get(), 0, &item).ok());
  ExpectItemEq(item, row);
}

TEST(ReadItemRowTest, AcceptsTextStringColumns) {
  const Row row = DistinctRow();
  ResultPtr result = MakeItemResult({row}, kTextOid);
  items::v1::Item item;
  absl::Status status = ReadItemRow(result.get(), 0, &item);
  ASSERT_TRUE(status.ok()) << status;
  ExpectItemEq(item, row);
}

TEST(ReadItemRowTest, AcceptsMixedTextAndVarcharColumns) {
  std::vector<ColumnSpec> columns = ItemColumns(kVarcharOid);
  columns[3].type = kTextOid;  // type1
  ResultPtr result = MakeResult(columns, {DistinctRow().Cells()});
  items::v1::Item item;
  absl::Status status = ReadItemRow(result.get(), 0, &item);
  ASSERT_TRUE(status.ok()) << status;
  ExpectItemEq(item, DistinctRow());
}

TEST(ReadItemRowTest, NullType2IsEmpty) {
  Row row = DistinctRow();
  row.type2 = std::nullopt;
  ResultPtr result = MakeItemResult({row});
  ASSERT_TRUE(PQgetisnull(result.get(), 0, 4));
  items::v1::Item item;
  ASSERT_TRUE(ReadItemRow(result.get(), 0, &item).ok());
  EXPECT_EQ(item.type2(), "");
  ExpectItemEq(item, row);
}

TEST(ReadItemRowTest, EmptyStringsStayEmpty) {
  Row row = DistinctRow();
  row.name = "";
  row.type2 = "";
  ResultPtr result = MakeItemResult({row});
  items::v1::Item item;
  ASSERT_TRUE(ReadItemRow(result.get(), 0, &item).ok());
  EXPECT_EQ(item.name(), "");
  EXPECT_EQ(item.type2(), "");
}

TEST(ReadItemRowTest, StringsAreLengthDelimited) {
  Row row = DistinctRow();
  row.name = std::string("Mr. Mime\0junk", 13);
  row.type1 = "Psychic \xE2\x98\x85";
  ResultPtr result = MakeItemResult({row});
  items::v1::Item item;
  ASSERT_TRUE(ReadItemRow(result.get(), 0, &item).ok());
  EXPECT_EQ(item.name(), row.name);
  EXPECT_EQ(item.type1(), row.type1);
}

TEST(ReadItemRowTest, LegendaryTrueFalseAndNull) {
  for (std::optional<bool> legendary :
       {std::optional<bool>(true), std::optional<bool>(false),
        std::optional<bool>()}) {
    Row row = DistinctRow();
    row.legendary = legendary;
    ResultPtr result = MakeItemResult({row});
    items::v1::Item item;
    ASSERT_TRUE(ReadItemRow(result.get(), 0, &item).ok());
    EXPECT_EQ(item.legendary(), legendary.value_or(false))
        << (legendary.has_value() ? (*legendary ? "true" : "false") : "NULL");
  }
}

TEST(ReadItemRowTest, NegativeAndExtremeIntegers) {
  Row row = DistinctRow();
  row.id = std::numeric_limits<int64_t>::min();
  row.number = -1;
  row.total = std::numeric_limits<int32_t>::min();
  row.hp = std::numeric_limits<int32_t>::max();
  row.attack = -255;
  row.defense = 0;
  ResultPtr result = MakeItemResult({row});
  items::v1::Item item;
  ASSERT_TRUE(ReadItemRow(result.get(), 0, &item).ok());
  ExpectItemEq(item, row);

  row.id = std::numeric_limits<int64_t>::max();
  result = MakeItemResult({row});
  ASSERT_TRUE(ReadItemRow(result.get(), 0, &item).ok());
  EXPECT_EQ(item.id(), std::numeric_limits<int64_t>::max());
}

TEST(ReadItemRowTest, NullIntegersReadAsZero) {
  std::vector<Cell> cells = DistinctRow().Cells();
  for (int column : {0, 1, 5, 6, 7, 8, 9, 10, 11, 12}) {
    cells[column] = std::nullopt;
  }
  ResultPtr result = MakeResult(ItemColumns(), {cells});
  items::v1::Item item;
  ASSERT_TRUE(ReadItemRow(result.get(), 0, &item).ok());
  EXPECT_EQ(item.id(), 0);
  EXPECT_EQ(item.number(), 0);
  EXPECT_EQ(item.total(), 0);
  EXPECT_EQ(item.generation(), 0);
  EXPECT_EQ(item.name(), "Pikachu");
}

TEST(ReadItemRowTest, ReadsTheRequestedRow) {
  const std::vector<Row> rows = testing::ItemRows(3);
  ResultPtr result = MakeItemResult(rows);
  for (int i = 0; i < 3; ++i) {
    items::v1::Item item;
    ASSERT_TRUE(ReadItemRow(result.get(), i, &item).ok());
    ExpectItemEq(item, rows[i]);
  }
}

// --- Schema mismatches are INTERNAL, from every entry point. ---

void ExpectInternalEverywhere(const PGresult* result, absl::string_view why) {
  items::v1::Item item;
  absl::Status status = ReadItemRow(result, 0, &item);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal)
      << why << ": " << status;

  status = BuildGetItemResponse(result, 1, &item);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal)
      << why << ": " << status;

  items::v1::ListItemsResponse response;
  status = BuildListItemsResponse(result, {.page_size = 10}, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal)
      << why << ": " << status;

  grpc::ByteBuffer body;
  const absl::Status serialize_status =
      SerializeListItemsResponse(result, {.page_size = 10}, body);
  EXPECT_EQ(serialize_status, status) << why;
}

TEST(SchemaMismatchTest, TooFewColumns) {
  std::vector<ColumnSpec> columns = ItemColumns();
  columns.pop_back();
  std::vector<Cell> cells = DistinctRow().Cells();
  cells.pop_back();
  ResultPtr result = MakeResult(columns, {cells});
  ExpectInternalEverywhere(result.get(), "13 columns");
  items::v1::Item item;
  absl::Status status = ReadItemRow(result.get(), 0, &item);
  EXPECT_THAT(status.message(), HasSubstr("13"));
  EXPECT_THAT(status.message(), HasSubstr("14"));
}

TEST(SchemaMismatchTest, TooManyColumns) {
  std::vector<ColumnSpec> columns = ItemColumns();
  columns.push_back({"extra", kInt4Oid});
  std::vector<Cell> cells = DistinctRow().Cells();
  cells.push_back(Int4(1));
  ResultPtr result = MakeResult(columns, {cells});
  ExpectInternalEverywhere(result.get(), "15 columns");
}

TEST(SchemaMismatchTest, NoColumns) {
  ResultPtr result(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK));
  items::v1::ListItemsResponse response;
  EXPECT_EQ(
      BuildListItemsResponse(result.get(), {.page_size = 10}, &response).code(),
      absl::StatusCode::kInternal);
  items::v1::Item item;
  EXPECT_EQ(ReadItemRow(result.get(), 0, &item).code(),
            absl::StatusCode::kInternal);
}

TEST(SchemaMismatchTest, TextFormatColumn) {
  for (size_t column = 0; column < ItemColumns().size(); ++column) {
    std::vector<ColumnSpec> columns = ItemColumns();
    columns[column].format = kTextFormat;
    ResultPtr result = MakeResult(columns, {DistinctRow().Cells()});
    ExpectInternalEverywhere(result.get(),
                             "text format " + columns[column].name);
    items::v1::Item item;
    EXPECT_THAT(ReadItemRow(result.get(), 0, &item).message(),
                HasSubstr(columns[column].name));
  }
}

TEST(SchemaMismatchTest, WrongColumnType) {
  struct Case {
    int column;
    Oid type;
  };
  for (const Case& c : {
           Case{0, kInt4Oid},   // id as int4
           Case{0, kTextOid},   // id as text
           Case{1, kInt8Oid},   // number as int8
           Case{2, kInt4Oid},   // name as int4
           Case{2, 1042},       // name as bpchar
           Case{4, kBoolOid},   // type2 as bool
           Case{5, kInt8Oid},   // total as int8
           Case{12, 21},        // generation as int2
           Case{13, kInt4Oid},  // legendary as int4
           Case{13, kTextOid},  // legendary as text
       }) {
    std::vector<ColumnSpec> columns = ItemColumns();
    columns[c.column].type = c.type;
    ResultPtr result = MakeResult(columns, {DistinctRow().Cells()});
    const std::string why =
        columns[c.column].name + " as oid " + std::to_string(c.type);
    ExpectInternalEverywhere(result.get(), why);
    items::v1::Item item;
    absl::Status status = ReadItemRow(result.get(), 0, &item);
    EXPECT_THAT(status.message(), HasSubstr(columns[c.column].name)) << why;
    EXPECT_THAT(status.message(), HasSubstr(std::to_string(c.type))) << why;
  }
}

TEST(SchemaMismatchTest, ColumnsInWrongOrder) {
  std::vector<ColumnSpec> columns = ItemColumns();
  std::swap(columns[0], columns[1]);  // number, id
  std::vector<Cell> cells = DistinctRow().Cells();
  std::swap(cells[0], cells[1]);
  ResultPtr result = MakeResult(columns, {cells});
  ExpectInternalEverywhere(result.get(), "id and number swapped");
}

// --- BuildGetItemResponse ---

TEST(BuildGetItemResponseTest, NoRowsIsNotFoundNamingId) {
  ResultPtr result = MakeItemResult({});
  items::v1::Item item;
  absl::Status status = BuildGetItemResponse(result.get(), 27, &item);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_THAT(status.message(), HasSubstr("27"));
  EXPECT_EQ(item.ByteSizeLong(), 0u);
}

TEST(BuildGetItemResponseTest, NoRowsNamesLargeId) {
  ResultPtr result = MakeItemResult({});
  items::v1::Item item;
  absl::Status status = BuildGetItemResponse(
      result.get(), std::numeric_limits<int64_t>::max(), &item);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("9223372036854775807"));
}

TEST(BuildGetItemResponseTest, OneRowFillsItem) {
  const Row row = DistinctRow();
  ResultPtr result = MakeItemResult({row});
  items::v1::Item item;
  absl::Status status = BuildGetItemResponse(result.get(), row.id, &item);
  ASSERT_TRUE(status.ok()) << status;
  ExpectItemEq(item, row);
}

// --- BuildListItemsResponse ---

TEST(BuildListItemsResponseTest, ExtraRowGivesNextPageToken) {
  constexpr int kPageSize = 5;
  const std::vector<Row> rows = testing::ItemRows(kPageSize + 1);
  ResultPtr result = MakeItemResult(rows);
  items::v1::ListItemsResponse response;
  absl::Status status =
      BuildListItemsResponse(result.get(), {.page_size = kPageSize}, &response);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(response.items_size(), kPageSize);
  for (int i = 0; i < kPageSize; ++i) {
    SCOPED_TRACE(i);
    ExpectItemEq(response.items(i), rows[i]);
  }
  ASSERT_FALSE(response.next_page_token().empty());
  absl::StatusOr<PageCursor> cursor =
      DecodePageToken(response.next_page_token());
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(cursor->number, rows[kPageSize - 1].number);
  EXPECT_EQ(cursor->id, rows[kPageSize - 1].id);
  // And the token is the same one EncodePageToken gives for that cursor.
  EXPECT_EQ(response.next_page_token(),
            EncodePageToken({.number = rows[kPageSize - 1].number,
                             .id = rows[kPageSize - 1].id}));
}

TEST(BuildListItemsResponseTest, PageSizeOneWithTwoRows) {
  const std::vector<Row> rows = testing::ItemRows(2);
  ResultPtr result = MakeItemResult(rows);
  items::v1::ListItemsResponse response;
  ASSERT_TRUE(
      BuildListItemsResponse(result.get(), {.page_size = 1}, &response).ok());
  ASSERT_EQ(response.items_size(), 1);
  ExpectItemEq(response.items(0), rows[0]);
  absl::StatusOr<PageCursor> cursor =
      DecodePageToken(response.next_page_token());
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(*cursor, (PageCursor{.number = rows[0].number, .id = rows[0].id}));
}

TEST(BuildListItemsResponseTest, TokenKeepsNegativeAndLargeCursor) {
  std::vector<Row> rows = testing::ItemRows(3);
  rows[1].number = -7;
  rows[1].id = std::numeric_limits<int64_t>::max() - 1;
  ResultPtr result = MakeItemResult(rows);
  items::v1::ListItemsResponse response;
  ASSERT_TRUE(
      BuildListItemsResponse(result.get(), {.page_size = 2}, &response).ok());
  absl::StatusOr<PageCursor> cursor =
      DecodePageToken(response.next_page_token());
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(*cursor, (PageCursor{.number = -7, .id = rows[1].id}));
}

TEST(BuildListItemsResponseTest, FullPageWithoutExtraRowHasNoToken) {
  constexpr int kPageSize = 5;
  const std::vector<Row> rows = testing::ItemRows(kPageSize);
  ResultPtr result = MakeItemResult(rows);
  items::v1::ListItemsResponse response;
  ASSERT_TRUE(
      BuildListItemsResponse(result.get(), {.page_size = kPageSize}, &response)
          .ok());
  ASSERT_EQ(response.items_size(), kPageSize);
  for (int i = 0; i < kPageSize; ++i) ExpectItemEq(response.items(i), rows[i]);
  EXPECT_EQ(response.next_page_token(), "");
}

TEST(BuildListItemsResponseTest, ShortPageHasNoToken) {
  const std::vector<Row> rows = testing::ItemRows(3);
  ResultPtr result = MakeItemResult(rows);
  items::v1::ListItemsResponse response;
  ASSERT_TRUE(
      BuildListItemsResponse(result.get(), {.page_size = 1000}, &response)
          .ok());
  ASSERT_EQ(response.items_size(), 3);
  for (int i = 0; i < 3; ++i) ExpectItemEq(response.items(i), rows[i]);
  EXPECT_EQ(response.next_page_token(), "");
}

TEST(BuildListItemsResponseTest, NoRowsIsEmptyPage) {
  ResultPtr result = MakeItemResult({});
  items::v1::ListItemsResponse response;
  absl::Status status =
      BuildListItemsResponse(result.get(), {.page_size = 10}, &response);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(response.items_size(), 0);
  EXPECT_EQ(response.next_page_token(), "");
}

TEST(BuildListItemsResponseTest, MapsNullsLikeReadItemRow) {
  std::vector<Row> rows = testing::ItemRows(2);
  rows[0].type2 = std::nullopt;
  rows[0].legendary = std::nullopt;
  rows[1].legendary = true;
  ResultPtr result = MakeItemResult(rows, kTextOid);
  items::v1::ListItemsResponse response;
  ASSERT_TRUE(
      BuildListItemsResponse(result.get(), {.page_size = 2}, &response).ok());
  ASSERT_EQ(response.items_size(), 2);
  EXPECT_EQ(response.items(0).type2(), "");
  EXPECT_FALSE(response.items(0).legendary());
  EXPECT_TRUE(response.items(1).legendary());
}

TEST(BuildListItemsResponseTest, SameRowsSerializeToSameBytes) {
  const std::vector<Row> rows = testing::ItemRows(4);
  ResultPtr a = MakeItemResult(rows, kVarcharOid);
  ResultPtr b = MakeItemResult(rows, kTextOid);
  items::v1::ListItemsResponse response_a;
  items::v1::ListItemsResponse response_b;
  ASSERT_TRUE(
      BuildListItemsResponse(a.get(), {.page_size = 3}, &response_a).ok());
  ASSERT_TRUE(
      BuildListItemsResponse(b.get(), {.page_size = 3}, &response_b).ok());
  EXPECT_EQ(response_a.SerializeAsString(), response_b.SerializeAsString());
}

// --- SerializeListItemsResponse: the same bytes as the message path ---

std::string BytesOf(const grpc::ByteBuffer& body) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(body.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

// What the services answered before SerializeListItemsResponse: the message
// BuildListItemsResponse fills, serialized by protobuf.
void ExpectSameBytesAsMessage(const PGresult* result,
                              const ListItemsQuery& query) {
  items::v1::ListItemsResponse response;
  ASSERT_TRUE(BuildListItemsResponse(result, query, &response).ok());
  grpc::ByteBuffer body;
  const absl::Status status = SerializeListItemsResponse(result, query, body);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(BytesOf(body), response.SerializeAsString());
}

TEST(SerializeListItemsResponseTest, SeedSizedPageMatchesTheMessage) {
  ResultPtr result = MakeItemResult(testing::ItemRows(800));
  ExpectSameBytesAsMessage(result.get(), {.page_size = 1000});
  ExpectSameBytesAsMessage(result.get(), {.page_size = 799});
  ExpectSameBytesAsMessage(result.get(), {.page_size = 1});
}

TEST(SerializeListItemsResponseTest, EveryFieldAndTokenMatchTheMessage) {
  ResultPtr result = MakeItemResult({DistinctRow(), DistinctRow()});
  ExpectSameBytesAsMessage(result.get(), {.page_size = 1});
  ExpectSameBytesAsMessage(result.get(), {.page_size = 2});
}

TEST(SerializeListItemsResponseTest, NegativeExtremeAndZeroValuesMatch) {
  std::vector<Row> rows = testing::ItemRows(4);
  rows[0].id = std::numeric_limits<int64_t>::min();
  rows[0].number = -1;
  rows[0].total = std::numeric_limits<int32_t>::min();
  rows[0].hp = std::numeric_limits<int32_t>::max();
  rows[0].attack = -255;
  rows[0].defense = 0;
  rows[1].id = 0;
  rows[1].number = 0;
  rows[1].speed = 127;
  rows[1].sp_attack = 128;
  rows[1].sp_defense = 16384;
  rows[2].id = std::numeric_limits<int64_t>::max();
  rows[2].number = std::numeric_limits<int32_t>::min();
  ResultPtr result = MakeItemResult(rows);
  ExpectSameBytesAsMessage(result.get(), {.page_size = 3});
  ExpectSameBytesAsMessage(result.get(), {.page_size = 4});
}

TEST(SerializeListItemsResponseTest, NullsAndEmptyStringsMatch) {
  std::vector<Row> rows = testing::ItemRows(3);
  rows[0].type2 = std::nullopt;
  rows[0].legendary = std::nullopt;
  rows[1].name = "";
  rows[1].type1 = "";
  rows[1].type2 = "";
  rows[1].legendary = false;
  rows[2].name = std::string(300, 'x');  // a two-byte length prefix
  rows[2].legendary = true;
  ResultPtr result = MakeItemResult(rows, kTextOid);
  ExpectSameBytesAsMessage(result.get(), {.page_size = 3});

  std::vector<Cell> cells = DistinctRow().Cells();
  for (Cell& cell : cells) {
    cell = std::nullopt;
  }
  result = MakeResult(ItemColumns(), {cells, cells});
  ExpectSameBytesAsMessage(result.get(), {.page_size = 1});
}

TEST(SerializeListItemsResponseTest, NoRowsIsAnEmptyBody) {
  ResultPtr result = MakeItemResult({});
  ExpectSameBytesAsMessage(result.get(), {.page_size = 10});
  grpc::ByteBuffer body;
  ASSERT_TRUE(
      SerializeListItemsResponse(result.get(), {.page_size = 10}, body).ok());
  EXPECT_EQ(BytesOf(body), "");
}

}  // namespace
}  // namespace asyncgrpc
