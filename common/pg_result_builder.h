// Builds libpq results without a server, in binary or text format, for the
// unit tests and benchmarks of the row -> proto mapping (item_results). Not
// linked into the services.
//
//   PgResultBuilderPtr result = MakeItemResult(ItemRows(800));
//   BuildListItemsResponse(result.get(), query, &response);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libpq-fe.h"

namespace asyncgrpc::testing {

inline constexpr Oid kBoolOid = 16;
inline constexpr Oid kInt8Oid = 20;
inline constexpr Oid kInt4Oid = 23;
inline constexpr Oid kTextOid = 25;
inline constexpr Oid kVarcharOid = 1043;
inline constexpr int kTextFormat = 0;
inline constexpr int kBinaryFormat = 1;

struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResultBuilderPtr = std::unique_ptr<PGresult, PgResultDeleter>;

struct ColumnSpec {
  std::string name;
  Oid type;
  int format = kBinaryFormat;
};

// The columns of ASYNCGRPC_ITEM_COLUMNS as PostgreSQL describes them;
// `string_type` is the OID of name/type1/type2.
std::vector<ColumnSpec> ItemColumns(Oid string_type = kVarcharOid,
                                    int format = kBinaryFormat);

// One cell's bytes as the server sends them, or NULL.
using Cell = std::optional<std::string>;

// Binary-format cells.
Cell Int8(int64_t value);
Cell Int4(int32_t value);
Cell Bool(bool value);
// Strings are the same bytes in both formats.
Cell Text(const std::string& value);

// One items row.
struct Row {
  int64_t id = 1;
  int32_t number = 1;
  std::string name = "Bulbasaur";
  std::string type1 = "Grass";
  std::optional<std::string> type2 = "Poison";
  int32_t total = 318;
  int32_t hp = 45;
  int32_t attack = 49;
  int32_t defense = 49;
  int32_t sp_attack = 65;
  int32_t sp_defense = 65;
  int32_t speed = 45;
  int32_t generation = 1;
  std::optional<bool> legendary = false;

  std::vector<Cell> Cells(int format = kBinaryFormat) const;
};

// A PGRES_TUPLES_OK result; aborts with a message if libpq refuses a column
// or a cell (a bug in the caller, not in the code under test).
PgResultBuilderPtr MakeResult(const std::vector<ColumnSpec>& columns,
                              const std::vector<std::vector<Cell>>& rows);

PgResultBuilderPtr MakeItemResult(const std::vector<Row>& rows,
                                  Oid string_type = kVarcharOid,
                                  int format = kBinaryFormat);

// `count` rows ordered by (number, id), as the list statements return them.
std::vector<Row> ItemRows(int count);

}  // namespace asyncgrpc::testing
