#include "async_service/memory_items.h"

#include "common/item_results.h"
#include "common/pg_errors.h"
#include "common/queries.h"
#include "common/request_validation.h"
#include "common/status_macros.h"

namespace asyncgrpc::async {

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

const std::string* MemoryItems::Find(int64_t id) const {
  auto it = items_.find(id);
  return it == items_.end() ? nullptr : &it->second;
}

}  // namespace asyncgrpc::async
