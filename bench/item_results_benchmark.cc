// Row -> proto decoding and response serialization: the per-call CPU work both
// services do on top of the database round trip; and loadgen's parse of the
// 800-item reply, which shares the same two cores in a measurement. The
// text-format decoder here is the reference a text-protocol client (psycopg2 in
// the seed study) implies: the services themselves only ever ask for binary
// results.
#include <benchmark/benchmark.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "common/item_results.h"
#include "common/message_bodies.h"
#include "common/pg_result_builder.h"
#include "items/v1/items.pb.h"

namespace asyncgrpc {
namespace {

using testing::ItemRows;
using testing::kBinaryFormat;
using testing::kTextFormat;
using testing::kVarcharOid;
using testing::MakeItemResult;

// The 800-item list of the seed study.
constexpr int kListRows = 800;

// A text-format result -> Item, as a text-protocol client must do it: every
// number parsed from decimal.
void ReadItemRowFromText(const PGresult* result, int row,
                         items::v1::Item* item) {
  auto integer = [&](int column) {
    return std::strtoll(PQgetvalue(result, row, column), nullptr, 10);
  };
  auto text = [&](int column) {
    return std::string(PQgetvalue(result, row, column),
                       PQgetlength(result, row, column));
  };
  item->set_id(integer(0));
  item->set_number(static_cast<int32_t>(integer(1)));
  item->set_name(text(2));
  item->set_type1(text(3));
  if (!PQgetisnull(result, row, 4)) {
    item->set_type2(text(4));
  }
  item->set_total(static_cast<int32_t>(integer(5)));
  item->set_hp(static_cast<int32_t>(integer(6)));
  item->set_attack(static_cast<int32_t>(integer(7)));
  item->set_defense(static_cast<int32_t>(integer(8)));
  item->set_sp_attack(static_cast<int32_t>(integer(9)));
  item->set_sp_defense(static_cast<int32_t>(integer(10)));
  item->set_speed(static_cast<int32_t>(integer(11)));
  item->set_generation(static_cast<int32_t>(integer(12)));
  item->set_legendary(PQgetvalue(result, row, 13)[0] == 't');
}

void BM_DecodeListBinary(benchmark::State& state) {
  auto result = MakeItemResult(ItemRows(kListRows), kVarcharOid, kBinaryFormat);
  const ListItemsQuery query{.page_size = kListRows + 1};
  for (auto _ : state) {
    items::v1::ListItemsResponse response;
    if (!BuildListItemsResponse(result.get(), query, &response).ok()) {
      state.SkipWithError("BuildListItemsResponse failed");
      break;
    }
    benchmark::DoNotOptimize(response);
  }
  state.SetItemsProcessed(state.iterations() * kListRows);
}
BENCHMARK(BM_DecodeListBinary);

void BM_DecodeListText(benchmark::State& state) {
  auto result = MakeItemResult(ItemRows(kListRows), kVarcharOid, kTextFormat);
  for (auto _ : state) {
    items::v1::ListItemsResponse response;
    for (int row = 0; row < kListRows; ++row) {
      ReadItemRowFromText(result.get(), row, response.add_items());
    }
    benchmark::DoNotOptimize(response);
  }
  state.SetItemsProcessed(state.iterations() * kListRows);
}
BENCHMARK(BM_DecodeListText);

void BM_DecodeGetItemBinary(benchmark::State& state) {
  auto result = MakeItemResult(ItemRows(1), kVarcharOid, kBinaryFormat);
  const int64_t id = ItemRows(1)[0].id;
  for (auto _ : state) {
    items::v1::Item item;
    if (!BuildGetItemResponse(result.get(), id, &item).ok()) {
      state.SkipWithError("BuildGetItemResponse failed");
      break;
    }
    benchmark::DoNotOptimize(item);
  }
}
BENCHMARK(BM_DecodeGetItemBinary);

void BM_DecodeGetItemText(benchmark::State& state) {
  auto result = MakeItemResult(ItemRows(1), kVarcharOid, kTextFormat);
  for (auto _ : state) {
    items::v1::Item item;
    ReadItemRowFromText(result.get(), 0, &item);
    benchmark::DoNotOptimize(item);
  }
}
BENCHMARK(BM_DecodeGetItemText);

items::v1::ListItemsResponse ListResponse() {
  auto result = MakeItemResult(ItemRows(kListRows), kVarcharOid, kBinaryFormat);
  items::v1::ListItemsResponse response;
  if (!BuildListItemsResponse(
           result.get(), ListItemsQuery{.page_size = kListRows + 1}, &response)
           .ok()) {
    std::abort();
  }
  return response;
}

// What the services hand gRPC: the response written into a ByteBuffer.
void BM_SerializeListResponse(benchmark::State& state) {
  const items::v1::ListItemsResponse response = ListResponse();
  for (auto _ : state) {
    grpc::ByteBuffer body;
    if (!SerializeResponse(response, body).ok()) {
      state.SkipWithError("SerializeResponse failed");
      break;
    }
    benchmark::DoNotOptimize(body);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(response.ByteSizeLong()));
}
BENCHMARK(BM_SerializeListResponse);

// The services' ListItems path: rows straight to the wire.
void BM_SerializeListItemsFromRows(benchmark::State& state) {
  auto result = MakeItemResult(ItemRows(kListRows), kVarcharOid, kBinaryFormat);
  const ListItemsQuery query{.page_size = kListRows + 1};
  for (auto _ : state) {
    grpc::ByteBuffer body;
    if (!SerializeListItemsResponse(result.get(), query, body).ok()) {
      state.SkipWithError("SerializeListItemsResponse failed");
      break;
    }
    benchmark::DoNotOptimize(body);
  }
  state.SetItemsProcessed(state.iterations() * kListRows);
}
BENCHMARK(BM_SerializeListItemsFromRows);

// The same answer through a message, as the services made it before
// SerializeListItemsResponse: build, size, write, destroy.
void BM_BuildAndSerializeListMessage(benchmark::State& state) {
  auto result = MakeItemResult(ItemRows(kListRows), kVarcharOid, kBinaryFormat);
  const ListItemsQuery query{.page_size = kListRows + 1};
  for (auto _ : state) {
    items::v1::ListItemsResponse response;
    grpc::ByteBuffer body;
    if (!BuildListItemsResponse(result.get(), query, &response).ok() ||
        !SerializeResponse(response, body).ok()) {
      state.SkipWithError("build or serialize failed");
      break;
    }
    benchmark::DoNotOptimize(body);
  }
  state.SetItemsProcessed(state.iterations() * kListRows);
}
BENCHMARK(BM_BuildAndSerializeListMessage);

// loadgen's side of a ListItems call: gRPC parses the 800-item reply into
// the call's response message, as the callback client API does.
void ParseListReply(benchmark::State& state, bool reuse) {
  const std::string bytes = ListResponse().SerializeAsString();
  const grpc::Slice slice(bytes);
  items::v1::ListItemsResponse reused;
  for (auto _ : state) {
    grpc::ByteBuffer body(&slice, 1);
    std::optional<items::v1::ListItemsResponse> fresh;
    items::v1::ListItemsResponse* response = reuse ? &reused : &fresh.emplace();
    if (!grpc::SerializationTraits<items::v1::ListItemsResponse>::Deserialize(
             &body, response)
             .ok()) {
      state.SkipWithError("Deserialize failed");
      break;
    }
    benchmark::DoNotOptimize(response->items_size());
  }
  state.SetItemsProcessed(state.iterations() * kListRows);
}

// A fresh message per reply (loadgen before): four heap objects per item.
void BM_ParseListReplyFresh(benchmark::State& state) {
  ParseListReply(state, /*reuse=*/false);
}
BENCHMARK(BM_ParseListReplyFresh);

// A message reused across replies (loadgen now): its items and strings stay.
void BM_ParseListReplyReused(benchmark::State& state) {
  ParseListReply(state, /*reuse=*/true);
}
BENCHMARK(BM_ParseListReplyReused);

void BM_SerializeItem(benchmark::State& state) {
  const items::v1::Item item = ListResponse().items(0);
  for (auto _ : state) {
    grpc::ByteBuffer body;
    if (!SerializeResponse(item, body).ok()) {
      state.SkipWithError("SerializeResponse failed");
      break;
    }
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_SerializeItem);

}  // namespace
}  // namespace asyncgrpc
