#include "common/item_results.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/base/status_macros.h"
#include "common/big_endian.h"
#include "common/message_bodies.h"
#include "common/page_token.h"

namespace asyncgrpc {
namespace {

constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kVarcharOid = 1043;

enum Column {
  kId,
  kNumber,
  kName,
  kType1,
  kType2,
  kTotal,
  kHp,
  kAttack,
  kDefense,
  kSpAttack,
  kSpDefense,
  kSpeed,
  kGeneration,
  kLegendary,
  kColumnCount,
};

// The wire type of each column, in the order of ASYNCGRPC_ITEM_COLUMNS;
// kTextOid stands for any string type.
constexpr std::array<Oid, kColumnCount> kColumnTypes = {
    kInt8Oid, kInt4Oid, kTextOid, kTextOid, kTextOid, kInt4Oid, kInt4Oid,
    kInt4Oid, kInt4Oid, kInt4Oid, kInt4Oid, kInt4Oid, kInt4Oid, kBoolOid};

absl::Status CheckColumns(const PGresult* result) {
  if (PQnfields(result) != kColumnCount) {
    return absl::InternalError(absl::StrCat("items query returned ",
                                            PQnfields(result),
                                            " columns, want ", kColumnCount));
  }
  for (int column = 0; column < kColumnCount; ++column) {
    Oid type = PQftype(result, column);
    if (type == kVarcharOid) {
      type = kTextOid;
    }
    if (type != kColumnTypes[column] || PQfformat(result, column) != 1) {
      return absl::InternalError(
          absl::StrCat("items column ", PQfname(result, column),
                       " has type oid ", PQftype(result, column),
                       " or text format; the schema does not match"));
    }
  }
  return absl::OkStatus();
}

// One row's cells, read from libpq once: what FillItem copies into an Item
// and SerializeListItemsResponse writes as one.
//
// libpq reads a NULL cell as "" of length 0, so no cell needs PQgetisnull: a
// NULL integer (length 0) reads as 0, a NULL string as "", a NULL bool as
// false, the answers the services have always given. An 800-item page makes
// ~25,000 calls even so, each out of line with its own bounds checks.
struct ItemCells {
  int64_t id;
  int32_t number;
  int32_t total;
  int32_t hp;
  int32_t attack;
  int32_t defense;
  int32_t sp_attack;
  int32_t sp_defense;
  int32_t speed;
  int32_t generation;
  bool legendary;
  absl::string_view name;
  absl::string_view type1;
  absl::string_view type2;
  // The serialized Item's size, once SerializeListItemsResponse has sized it.
  size_t size = 0;
};

// Binary integers are big-endian of the column's width.
int64_t Integer(const PGresult* result, int row, Column column) {
  const int width = PQgetlength(result, row, column);
  const char* value = PQgetvalue(result, row, column);
  // The schema's widths as constants, so the loads compile to a byte swap.
  if (width == 4) {
    return static_cast<int32_t>(LoadBigEndian(value, 4));
  }
  if (width == 8) {
    return static_cast<int64_t>(LoadBigEndian(value, 8));
  }
  return static_cast<int64_t>(LoadBigEndian(value, width));
}

int32_t Integer32(const PGresult* result, int row, Column column) {
  return static_cast<int32_t>(Integer(result, row, column));
}

absl::string_view Text(const PGresult* result, int row, Column column) {
  return absl::string_view(PQgetvalue(result, row, column),
                           PQgetlength(result, row, column));
}

ItemCells ReadCells(const PGresult* result, int row) {
  return ItemCells{
      .id = Integer(result, row, kId),
      .number = Integer32(result, row, kNumber),
      .total = Integer32(result, row, kTotal),
      .hp = Integer32(result, row, kHp),
      .attack = Integer32(result, row, kAttack),
      .defense = Integer32(result, row, kDefense),
      .sp_attack = Integer32(result, row, kSpAttack),
      .sp_defense = Integer32(result, row, kSpDefense),
      .speed = Integer32(result, row, kSpeed),
      .generation = Integer32(result, row, kGeneration),
      .legendary = PQgetvalue(result, row, kLegendary)[0] != 0,
      .name = Text(result, row, kName),
      .type1 = Text(result, row, kType1),
      .type2 = Text(result, row, kType2),
  };
}

void FillItem(const PGresult* result, int row, items::v1::Item* item) {
  const ItemCells cells = ReadCells(result, row);
  item->set_id(cells.id);
  item->set_number(cells.number);
  item->set_name(cells.name.data(), cells.name.size());
  item->set_type1(cells.type1.data(), cells.type1.size());
  item->set_type2(cells.type2.data(), cells.type2.size());
  item->set_total(cells.total);
  item->set_hp(cells.hp);
  item->set_attack(cells.attack);
  item->set_defense(cells.defense);
  item->set_sp_attack(cells.sp_attack);
  item->set_sp_defense(cells.sp_defense);
  item->set_speed(cells.speed);
  item->set_generation(cells.generation);
  item->set_legendary(cells.legendary);
}

// The protobuf wire format of one field, written the way the generated
// Item::_InternalSerialize writes it (proto3: a zero or empty field is left
// out), with protobuf's own encoders so the bytes are the same.
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedOutputStream;

// The sizes below count one byte per tag: every field number here is below 16.
static_assert(items::v1::Item::kLegendaryFieldNumber < 16 &&
              items::v1::ListItemsResponse::kNextPageTokenFieldNumber < 16);

size_t Int64FieldSize(int64_t value) {
  return value == 0 ? 0 : 1 + WireFormatLite::Int64Size(value);
}

size_t Int32FieldSize(int32_t value) {
  return value == 0 ? 0 : 1 + WireFormatLite::Int32Size(value);
}

size_t BytesFieldSize(absl::string_view value) {
  return value.empty() ? 0
                       : 1 + WireFormatLite::LengthDelimitedSize(value.size());
}

uint8_t* WriteInt64Field(int field, int64_t value, uint8_t* out) {
  return value == 0 ? out
                    : WireFormatLite::WriteInt64ToArray(field, value, out);
}

uint8_t* WriteInt32Field(int field, int32_t value, uint8_t* out) {
  return value == 0 ? out
                    : WireFormatLite::WriteInt32ToArray(field, value, out);
}

uint8_t* WriteBytesField(int field, absl::string_view value, uint8_t* out) {
  if (value.empty()) {
    return out;
  }
  out = WireFormatLite::WriteTagToArray(
      field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, out);
  out = CodedOutputStream::WriteVarint32ToArray(
      static_cast<uint32_t>(value.size()), out);
  std::memcpy(out, value.data(), value.size());
  return out + value.size();
}

// A proto3 string field: protobuf logs (and still writes) one that is not
// UTF-8 when it serializes; so do we.
uint8_t* WriteStringField(int field, absl::string_view value,
                          const char* field_name, uint8_t* out) {
  if (!value.empty()) {
    WireFormatLite::VerifyUtf8String(value.data(),
                                     static_cast<int>(value.size()),
                                     WireFormatLite::SERIALIZE, field_name);
  }
  return WriteBytesField(field, value, out);
}

using items::v1::Item;

size_t ItemSize(const ItemCells& c) {
  return Int64FieldSize(c.id) + Int32FieldSize(c.number) +
         BytesFieldSize(c.name) + BytesFieldSize(c.type1) +
         BytesFieldSize(c.type2) + Int32FieldSize(c.total) +
         Int32FieldSize(c.hp) + Int32FieldSize(c.attack) +
         Int32FieldSize(c.defense) + Int32FieldSize(c.sp_attack) +
         Int32FieldSize(c.sp_defense) + Int32FieldSize(c.speed) +
         Int32FieldSize(c.generation) + (c.legendary ? 2 : 0);
}

// Field order is field-number order, as in the generated code.
uint8_t* WriteItem(const ItemCells& c, uint8_t* out) {
  out = WriteInt64Field(Item::kIdFieldNumber, c.id, out);
  out = WriteInt32Field(Item::kNumberFieldNumber, c.number, out);
  out = WriteStringField(Item::kNameFieldNumber, c.name, "items.v1.Item.name",
                         out);
  out = WriteStringField(Item::kType1FieldNumber, c.type1,
                         "items.v1.Item.type1", out);
  out = WriteStringField(Item::kType2FieldNumber, c.type2,
                         "items.v1.Item.type2", out);
  out = WriteInt32Field(Item::kTotalFieldNumber, c.total, out);
  out = WriteInt32Field(Item::kHpFieldNumber, c.hp, out);
  out = WriteInt32Field(Item::kAttackFieldNumber, c.attack, out);
  out = WriteInt32Field(Item::kDefenseFieldNumber, c.defense, out);
  out = WriteInt32Field(Item::kSpAttackFieldNumber, c.sp_attack, out);
  out = WriteInt32Field(Item::kSpDefenseFieldNumber, c.sp_defense, out);
  out = WriteInt32Field(Item::kSpeedFieldNumber, c.speed, out);
  out = WriteInt32Field(Item::kGenerationFieldNumber, c.generation, out);
  if (c.legendary) {
    out = WireFormatLite::WriteBoolToArray(Item::kLegendaryFieldNumber, true,
                                           out);
  }
  return out;
}

// The rows of a list result that make the page (BindListItems asks for one
// more), and whether that extra row came, i.e. whether a next page exists.
struct Page {
  int rows;
  bool has_next;
};

Page PageOf(const PGresult* result, const ListItemsQuery& query) {
  const int rows = PQntuples(result);
  const int page_rows = rows > query.page_size ? query.page_size : rows;
  return {.rows = page_rows,
          .has_next = rows > query.page_size && page_rows > 0};
}

}  // namespace

absl::Status ReadItemRow(const PGresult* result, int row,
                         items::v1::Item* item) {
  if (absl::Status status = CheckColumns(result); !status.ok()) {
    return status;
  }
  FillItem(result, row, item);
  return absl::OkStatus();
}

absl::Status ItemNotFoundError(int64_t id) {
  return absl::NotFoundError(absl::StrCat("item ", id, " not found"));
}

absl::Status BuildGetItemResponse(const PGresult* result, int64_t id,
                                  items::v1::Item* item) {
  if (PQntuples(result) == 0) {
    return ItemNotFoundError(id);
  }
  return ReadItemRow(result, 0, item);
}

absl::Status BuildListItemsResponse(const PGresult* result,
                                    const ListItemsQuery& query,
                                    items::v1::ListItemsResponse* response) {
  if (absl::Status status = CheckColumns(result); !status.ok()) {
    return status;
  }
  const Page page = PageOf(result, query);
  response->mutable_items()->Reserve(page.rows);
  for (int row = 0; row < page.rows; ++row) {
    FillItem(result, row, response->add_items());
  }
  if (page.has_next) {
    const items::v1::Item& last = response->items(page.rows - 1);
    response->set_next_page_token(
        EncodePageToken({.number = last.number(), .id = last.id()}));
  }
  return absl::OkStatus();
}

absl::Status SerializeGetItemResponse(const PGresult* result, int64_t id,
                                      grpc::ByteBuffer& body) {
  items::v1::Item item;
  RETURN_IF_ERROR(BuildGetItemResponse(result, id, &item));
  return SerializeResponse(item, body);
}

absl::Status SerializeListItemsResponse(const PGresult* result,
                                        const ListItemsQuery& query,
                                        grpc::ByteBuffer& body) {
  RETURN_IF_ERROR(CheckColumns(result));
  const Page page = PageOf(result, query);
  // Pass one reads every cell once and sizes each item (its length prefix
  // comes before it); pass two writes them into one slice of the exact size.
  std::vector<ItemCells> items;
  items.reserve(page.rows);
  size_t size = 0;
  for (int row = 0; row < page.rows; ++row) {
    ItemCells& item = items.emplace_back(ReadCells(result, row));
    item.size = ItemSize(item);
    size += 1 + WireFormatLite::LengthDelimitedSize(item.size);
  }
  std::string next_page_token;
  if (page.has_next) {
    next_page_token =
        EncodePageToken({.number = items.back().number, .id = items.back().id});
  }
  size += BytesFieldSize(next_page_token);
  return WriteBody(
      size, items::v1::ListItemsResponse::descriptor()->full_name(),
      [&](uint8_t* out) {
        for (const ItemCells& item : items) {
          out = WireFormatLite::WriteTagToArray(
              items::v1::ListItemsResponse::kItemsFieldNumber,
              WireFormatLite::WIRETYPE_LENGTH_DELIMITED, out);
          out = CodedOutputStream::WriteVarint32ToArray(
              static_cast<uint32_t>(item.size), out);
          out = WriteItem(item, out);
        }
        return WriteStringField(
            items::v1::ListItemsResponse::kNextPageTokenFieldNumber,
            next_page_token, "items.v1.ListItemsResponse.next_page_token", out);
      },
      body);
}

}  // namespace asyncgrpc
