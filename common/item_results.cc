#include "common/item_results.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "common/big_endian.h"
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

// Binary integers are big-endian of the column's width; NULL reads as 0.
int64_t Integer(const PGresult* result, int row, Column column) {
  if (PQgetisnull(result, row, column)) {
    return 0;
  }
  const int width = PQgetlength(result, row, column);
  const uint64_t raw = LoadBigEndian(PQgetvalue(result, row, column), width);
  return width == 4 ? static_cast<int32_t>(raw) : static_cast<int64_t>(raw);
}

void FillItem(const PGresult* result, int row, items::v1::Item* item) {
  item->set_id(Integer(result, row, kId));
  item->set_number(static_cast<int32_t>(Integer(result, row, kNumber)));
  item->set_name(PQgetvalue(result, row, kName),
                 PQgetlength(result, row, kName));
  item->set_type1(PQgetvalue(result, row, kType1),
                  PQgetlength(result, row, kType1));
  item->set_type2(PQgetvalue(result, row, kType2),
                  PQgetlength(result, row, kType2));
  item->set_total(static_cast<int32_t>(Integer(result, row, kTotal)));
  item->set_hp(static_cast<int32_t>(Integer(result, row, kHp)));
  item->set_attack(static_cast<int32_t>(Integer(result, row, kAttack)));
  item->set_defense(static_cast<int32_t>(Integer(result, row, kDefense)));
  item->set_sp_attack(static_cast<int32_t>(Integer(result, row, kSpAttack)));
  item->set_sp_defense(static_cast<int32_t>(Integer(result, row, kSpDefense)));
  item->set_speed(static_cast<int32_t>(Integer(result, row, kSpeed)));
  item->set_generation(static_cast<int32_t>(Integer(result, row, kGeneration)));
  item->set_legendary(!PQgetisnull(result, row, kLegendary) &&
                      PQgetvalue(result, row, kLegendary)[0] != 0);
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
  const int rows = PQntuples(result);
  const int page_rows = rows > query.page_size ? query.page_size : rows;
  response->mutable_items()->Reserve(page_rows);
  for (int row = 0; row < page_rows; ++row) {
    FillItem(result, row, response->add_items());
  }
  if (rows > query.page_size && page_rows > 0) {
    const items::v1::Item& last = response->items(page_rows - 1);
    response->set_next_page_token(
        EncodePageToken({.number = last.number(), .id = last.id()}));
  }
  return absl::OkStatus();
}

}  // namespace asyncgrpc
