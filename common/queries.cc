#include "common/queries.h"

#include "common/big_endian.h"

namespace asyncgrpc {
namespace {

// Type OIDs from pg_type; stable across PostgreSQL versions.
constexpr Oid kInt4Oid = 23;
constexpr Oid kInt8Oid = 20;

#define ASYNCGRPC_ITEM_COLUMNS                                              \
  "id, number, name, type1, type2, total, hp, attack, defense, sp_attack, " \
  "sp_defense, speed, generation, legendary"

void BindParam(BoundQuery& query, int index, uint64_t value, int bytes) {
  StoreBigEndian(value, bytes, query.storage[index].data());
  query.values[index] = query.storage[index].data();
  query.lengths[index] = bytes;
  query.formats[index] = kBinaryFormat;
}

}  // namespace

const Statement kGetItemStatement = {"get_item",
                                     "SELECT " ASYNCGRPC_ITEM_COLUMNS
                                     " FROM items WHERE id = $1",
                                     1,
                                     {kInt8Oid}};

const Statement kListFirstPageStatement = {
    "list_items_first",
    "SELECT " ASYNCGRPC_ITEM_COLUMNS " FROM items ORDER BY number, id LIMIT $1",
    1,
    {kInt8Oid}};

const Statement kListNextPageStatement = {
    "list_items_next",
    "SELECT " ASYNCGRPC_ITEM_COLUMNS
    " FROM items WHERE (number, id) > ($1, $2) ORDER BY number, id LIMIT $3",
    3,
    {kInt4Oid, kInt8Oid, kInt8Oid}};

std::span<const Statement* const> AllStatements() {
  static constexpr const Statement* kAll[] = {
      &kGetItemStatement, &kListFirstPageStatement, &kListNextPageStatement};
  return kAll;
}

void BindGetItem(int64_t id, BoundQuery& query) {
  query.statement = &kGetItemStatement;
  query.param_count = 1;
  BindParam(query, 0, static_cast<uint64_t>(id), 8);
}

void BindListItems(const ListItemsQuery& list_query, BoundQuery& query) {
  const uint64_t limit = static_cast<uint64_t>(list_query.page_size) + 1;
  if (!list_query.after.has_value()) {
    query.statement = &kListFirstPageStatement;
    query.param_count = 1;
    BindParam(query, 0, limit, 8);
    return;
  }
  query.statement = &kListNextPageStatement;
  query.param_count = 3;
  BindParam(query, 0, static_cast<uint32_t>(list_query.after->number), 4);
  BindParam(query, 1, static_cast<uint64_t>(list_query.after->id), 8);
  BindParam(query, 2, limit, 8);
}

}  // namespace asyncgrpc
