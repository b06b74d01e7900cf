// libFuzzer target for request validation: the bytes, parsed as a
// ListItemsRequest and as a GetItemRequest (unparsable inputs are skipped),
// must validate exactly as the API's rules say: a valid ListItems query has
// 1 <= page_size <= 1000 (0 meaning the default, above the maximum coerced)
// and a cursor iff a token was given; a valid GetItem id is the
// request's, > 0.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "absl/status/statusor.h"
#include "common/page_token.h"
#include "common/request_validation.h"
#include "items/v1/items.pb.h"

namespace asyncgrpc {
namespace {

void Check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void FuzzListItems(const uint8_t* data, size_t size) {
  items::v1::ListItemsRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) {
    return;
  }
  absl::StatusOr<ListItemsQuery> query = ValidateListItems(request);
  const bool token_ok = request.page_token().empty() ||
                        DecodePageToken(request.page_token()).ok();
  Check(query.ok() == (request.page_size() >= 0 && token_ok));
  if (!query.ok()) {
    Check(query.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  Check(query->page_size >= 1 && query->page_size <= kMaxPageSize);
  if (request.page_size() == 0) {
    Check(query->page_size == kDefaultPageSize);
  } else if (request.page_size() <= kMaxPageSize) {
    Check(query->page_size == request.page_size());
  } else {
    Check(query->page_size == kMaxPageSize);
  }
  Check(query->after.has_value() == !request.page_token().empty());
  if (query->after.has_value()) {
    absl::StatusOr<PageCursor> again =
        DecodePageToken(EncodePageToken(*query->after));
    Check(again.ok() && *again == *query->after);
  }
}

void FuzzGetItem(const uint8_t* data, size_t size) {
  items::v1::GetItemRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) {
    return;
  }
  absl::StatusOr<int64_t> id = ValidateGetItem(request);
  Check(id.ok() == (request.id() > 0));
  if (id.ok()) {
    Check(*id > 0 && *id == request.id());
  } else {
    Check(id.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace asyncgrpc

// Protobuf logs every string field with invalid UTF-8 it parses: silence it,
// the fuzzer feeds such inputs all the time.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  asyncgrpc::FuzzListItems(data, size);
  asyncgrpc::FuzzGetItem(data, size);
  return 0;
}
