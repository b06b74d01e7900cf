// The SQL both services run, as named prepared statements, and the binary
// parameter encoding for each request. One copy of every statement: the two
// services differ only in how they wait for the answer.
//
//   BoundQuery query = BindGetItem(25);
//   PQsendQueryPrepared(conn, query.statement->name, query.param_count,
//                       query.values.data(), query.lengths.data(),
//                       query.formats.data(), kBinaryFormat);
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "common/request_validation.h"
#include "libpq-fe.h"

namespace asyncgrpc {

// libpq's format code for binary parameters and results.
inline constexpr int kBinaryFormat = 1;

struct Statement {
  const char* name;
  const char* sql;
  int param_count;
  // Parameter type OIDs, for PQprepare and PQexecParams.
  std::array<Oid, 3> param_types;
};

// SELECT <all item columns> FROM items WHERE id = $1
extern const Statement kGetItemStatement;
// The first page: ORDER BY number, id LIMIT $1
extern const Statement kListFirstPageStatement;
// A later page: WHERE (number, id) > ($1, $2) ORDER BY number, id LIMIT $3
extern const Statement kListNextPageStatement;

// Every statement a connection prepares once after it connects.
std::span<const Statement* const> AllStatements();

// A statement with its parameters encoded in libpq's binary format.
// Self-contained: the pointers in `values` point into `storage`, so a
// BoundQuery must not be copied or moved once bound.
struct BoundQuery {
  BoundQuery() = default;
  BoundQuery(const BoundQuery&) = delete;
  BoundQuery& operator=(const BoundQuery&) = delete;

  const Statement* statement = nullptr;
  int param_count = 0;
  std::array<std::array<char, 8>, 3> storage{};
  std::array<const char*, 3> values{};
  std::array<int, 3> lengths{};
  std::array<int, 3> formats{};
};

void BindGetItem(int64_t id, BoundQuery& query);

// Asks for one row more than the page holds, to learn whether a next page
// exists.
void BindListItems(const ListItemsQuery& list_query, BoundQuery& query);

}  // namespace asyncgrpc
