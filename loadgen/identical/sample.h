// The requests `loadgen identical` sends to both targets, in order, and the
// driver that sends them through an Exchange (both targets asked, their
// answers compared) until the first difference:
//   ListItems {}                                  the whole table, one page
//   ListItems {page_size: 100}, then pages 2, 3   following next_page_token
//   ListItems {page_token: "garbled"}             INVALID_ARGUMENT
//   GetItem {id: N} for 20 ids spread evenly over the listed ids (the
//     smallest and the largest included)
//   GetItem {id: 0}                               INVALID_ARGUMENT
//   GetItem {id: largest listed + 1}              NOT_FOUND
// Page tokens and ids come from the first target's answers, which are the
// second's too as long as no difference was found. Pure logic.
//
//   absl::StatusOr<SampleOutcome> outcome = RunSample(
//       [&](const Request& request) -> std::optional<Answer> { ... });
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "items/v1/items.pb.h"
#include "loadgen/identical/answers.h"

namespace asyncgrpc::loadgen {

// One request of the sample.
struct Request {
  // What messages call it: "GetItem {id: 25}".
  std::string label;
  // The full method name: "/items.v1.ItemService/GetItem".
  std::string method;
  // The serialized request message.
  std::string bytes;
};

inline constexpr int kSpreadGets = 20;
inline constexpr int kPageSize = 100;
inline constexpr int kPages = 3;

// `label` defaults to the request in protobuf text format.
Request ListItemsRequest(const items::v1::ListItemsRequest& request,
                         std::string label = "");
Request GetItemRequest(int64_t id);

// Up to `count` of `ids`, spread evenly over them in ascending order, the
// smallest and the largest included, each once.
std::vector<int64_t> SpreadIds(std::vector<int64_t> ids, int count);

// Sends `request` to both targets and compares the answers: the first
// target's answer when the two are identical, nullopt when they differ.
using Exchange = std::function<std::optional<Answer>(const Request&)>;

struct SampleOutcome {
  // Requests sent to each target, the differing one included.
  int requests = 0;
  // Whether every answer was identical (false: the exchange said what
  // differed).
  bool identical = true;
};

// Sends the whole sample, stopping at the first difference.
// FAILED_PRECONDITION when the first listing failed (alike) on both targets or
// does not parse: there are no ids to ask for.
absl::StatusOr<SampleOutcome> RunSample(const Exchange& exchange);

}  // namespace asyncgrpc::loadgen
