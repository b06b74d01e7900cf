#include "common/pg_result_builder.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/big_endian.h"

namespace asyncgrpc::testing {
namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "pg_result_builder: %s\n", message.c_str());
  std::abort();
}

int TypeLength(Oid type) {
  switch (type) {
    case kInt8Oid:
      return 8;
    case kInt4Oid:
      return 4;
    case kBoolOid:
      return 1;
    default:
      return -1;
  }
}

}  // namespace

std::vector<ColumnSpec> ItemColumns(Oid string_type, int format) {
  std::vector<ColumnSpec> columns = {
      {"id", kInt8Oid},         {"number", kInt4Oid},     {"name", string_type},
      {"type1", string_type},   {"type2", string_type},   {"total", kInt4Oid},
      {"hp", kInt4Oid},         {"attack", kInt4Oid},     {"defense", kInt4Oid},
      {"sp_attack", kInt4Oid},  {"sp_defense", kInt4Oid}, {"speed", kInt4Oid},
      {"generation", kInt4Oid}, {"legendary", kBoolOid},
  };
  for (ColumnSpec& column : columns) {
    column.format = format;
  }
  return columns;
}

Cell Int8(int64_t value) {
  std::string bytes(8, '\0');
  StoreBigEndian(static_cast<uint64_t>(value), 8, bytes.data());
  return bytes;
}

Cell Int4(int32_t value) {
  std::string bytes(4, '\0');
  StoreBigEndian(static_cast<uint32_t>(value), 4, bytes.data());
  return bytes;
}

Cell Bool(bool value) { return std::string(1, value ? '\1' : '\0'); }

Cell Text(const std::string& value) { return value; }

std::vector<Cell> Row::Cells(int format) const {
  if (format == kTextFormat) {
    auto number_cell = [](int64_t value) -> Cell {
      return absl::StrCat(value);
    };
    return {
        number_cell(id),
        number_cell(number),
        Text(name),
        Text(type1),
        type2.has_value() ? Text(*type2) : std::nullopt,
        number_cell(total),
        number_cell(hp),
        number_cell(attack),
        number_cell(defense),
        number_cell(sp_attack),
        number_cell(sp_defense),
        number_cell(speed),
        number_cell(generation),
        legendary.has_value() ? Cell(*legendary ? "t" : "f") : std::nullopt};
  }
  return {Int8(id),
          Int4(number),
          Text(name),
          Text(type1),
          type2.has_value() ? Text(*type2) : std::nullopt,
          Int4(total),
          Int4(hp),
          Int4(attack),
          Int4(defense),
          Int4(sp_attack),
          Int4(sp_defense),
          Int4(speed),
          Int4(generation),
          legendary.has_value() ? Bool(*legendary) : std::nullopt};
}

PgResultBuilderPtr MakeResult(const std::vector<ColumnSpec>& columns,
                              const std::vector<std::vector<Cell>>& rows) {
  PgResultBuilderPtr result(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK));
  if (result == nullptr) {
    Die("PQmakeEmptyPGresult failed");
  }
  std::vector<PGresAttDesc> descs(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    descs[i] = PGresAttDesc{};
    descs[i].name = const_cast<char*>(columns[i].name.c_str());
    descs[i].format = columns[i].format;
    descs[i].typid = columns[i].type;
    descs[i].typlen = TypeLength(columns[i].type);
    descs[i].atttypmod = -1;
  }
  if (PQsetResultAttrs(result.get(), static_cast<int>(descs.size()),
                       descs.data()) != 1) {
    Die("PQsetResultAttrs refused the columns");
  }
  for (size_t row = 0; row < rows.size(); ++row) {
    for (size_t column = 0; column < rows[row].size(); ++column) {
      const Cell& cell = rows[row][column];
      if (PQsetvalue(
              result.get(), static_cast<int>(row), static_cast<int>(column),
              cell.has_value() ? const_cast<char*>(cell->data()) : nullptr,
              cell.has_value() ? static_cast<int>(cell->size()) : -1) != 1) {
        Die(absl::StrCat("PQsetvalue refused row ", row, " column ", column));
      }
    }
  }
  return result;
}

PgResultBuilderPtr MakeItemResult(const std::vector<Row>& rows, Oid string_type,
                                  int format) {
  std::vector<std::vector<Cell>> cells;
  cells.reserve(rows.size());
  for (const Row& row : rows) {
    cells.push_back(row.Cells(format));
  }
  return MakeResult(ItemColumns(string_type, format), cells);
}

std::vector<Row> ItemRows(int count) {
  std::vector<Row> rows;
  for (int i = 0; i < count; ++i) {
    Row row;
    row.id = 100 + i;
    row.number = 10 + i / 2;  // Pairs share a number, ordered by id.
    row.name = "item" + std::to_string(i);
    row.legendary = i % 3 == 0;
    rows.push_back(row);
  }
  return rows;
}

}  // namespace asyncgrpc::testing
