// Builds ItemService responses from libpq results in binary format. Pure
// mapping, shared by both services so the same rows always serialize to the
// same bytes.
//
//   absl::Status status =
//       BuildGetItemResponse(result, id, &item);  // NOT_FOUND if no row
//   RETURN_IF_ERROR(SerializeGetItemResponse(result, id, *body));
//   RETURN_IF_ERROR(SerializeListItemsResponse(result, query, *body));
#pragma once

#include <grpcpp/support/byte_buffer.h>

#include <cstdint>

#include "absl/status/status.h"
#include "common/request_validation.h"
#include "items/v1/items.pb.h"
#include "libpq-fe.h"

namespace asyncgrpc {

// GetItem's NOT_FOUND, the same words wherever the answer comes from.
absl::Status ItemNotFoundError(int64_t id);

// `result` is a PGRES_TUPLES_OK result of kGetItemStatement.
absl::Status BuildGetItemResponse(const PGresult* result, int64_t id,
                                  items::v1::Item* item);

// `result` is a PGRES_TUPLES_OK result of a list statement bound by
// BindListItems for `query` (one row more than the page, which only decides
// whether next_page_token is set).
absl::Status BuildListItemsResponse(const PGresult* result,
                                    const ListItemsQuery& query,
                                    items::v1::ListItemsResponse* response);

// BuildGetItemResponse's Item, serialized into `body`: the services' GetItem
// path.
absl::Status SerializeGetItemResponse(const PGresult* result, int64_t id,
                                      grpc::ByteBuffer& body);

// What SerializeResponse makes of BuildListItemsResponse's message, byte for
// byte, written straight from `result` into `body` (one slice of the exact
// size) with no message in between: the services' ListItems path. Building the
// message took four heap objects per item and three passes over it (fill,
// size, write): more CPU than this way, both in bench/ and per ListItems call
// in the async service (figures: docs/performance.md, "Figures behind choices
// in the code").
absl::Status SerializeListItemsResponse(const PGresult* result,
                                        const ListItemsQuery& query,
                                        grpc::ByteBuffer& body);

// Fills `item` from row `row`; INTERNAL if the result's columns are not the
// items columns.
absl::Status ReadItemRow(const PGresult* result, int row,
                         items::v1::Item* item);

}  // namespace asyncgrpc
