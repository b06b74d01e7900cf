#include "common/memory_items.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/base/flags.h"
#include "common/base/status_macros.h"
#include "common/item_results.h"
#include "common/pg_errors.h"
#include "common/queries.h"
#include "common/request_validation.h"

namespace asyncgrpc {

absl::StatusOr<MemoryItems> MemoryItems::Load(const DbOptions& db,
                                              absl::Time deadline) {
  ASSIGN_OR_RETURN(PgConnPtr conn, ConnectWithin(db, deadline));
  RETURN_IF_ERROR(PrepareStatements(conn.get()));
  MemoryItems memory;
  ListItemsQuery list{.page_size = kMaxPageSize};
  while (true) {
    BoundQuery query;
    BindListItems(list, query);
    PgResultPtr result(PQexecPrepared(
        conn.get(), query.statement->name, query.param_count,
        query.values.data(), query.lengths.data(), query.formats.data(),
        /*resultFormat=*/1));
    RETURN_IF_ERROR(StatusFromResult(result.get(), conn.get()));
    items::v1::ListItemsResponse page;
    RETURN_IF_ERROR(BuildListItemsResponse(result.get(), list, &page));
    for (const items::v1::Item& item : page.items()) {
      memory.items_[item.id()] = item.SerializeAsString();
    }
    if (page.next_page_token().empty()) {
      return memory;
    }
    const items::v1::Item& last = page.items(page.items_size() - 1);
    list.after = PageCursor{.number = last.number(), .id = last.id()};
  }
}

std::unique_ptr<const MemoryItems> MemoryItems::LoadIfRequestedOrExit(
    const ServiceConfig& config) {
  if (!config.serve_from_memory) {
    return nullptr;
  }
  absl::StatusOr<MemoryItems> loaded =
      Load(config.pool.db, absl::Now() + absl::Seconds(30));
  if (!loaded.ok()) {
    ExitWithUsageError(
        absl::StrCat("--serve_from_memory: cannot read the items table: ",
                     loaded.status().message()));
  }
  std::cerr << ProgramName()
            << ": BENCHMARK MODE --serve_from_memory: GetItem answers from "
            << loaded->items_.size() << " items read at start-up" << std::endl;
  return std::make_unique<const MemoryItems>(*std::move(loaded));
}

absl::Status MemoryItems::Answer(int64_t id, grpc::ByteBuffer& response) const {
  const auto item = items_.find(id);
  if (item == items_.end()) {
    return ItemNotFoundError(id);
  }
  grpc::Slice slice(item->second);
  response = grpc::ByteBuffer(&slice, 1);
  return absl::OkStatus();
}

}  // namespace asyncgrpc
