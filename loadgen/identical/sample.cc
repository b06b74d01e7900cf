#include "loadgen/identical/sample.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace asyncgrpc::loadgen {
namespace {

constexpr char kListItems[] = "/items.v1.ItemService/ListItems";
constexpr char kGetItem[] = "/items.v1.ItemService/GetItem";
constexpr char kGarbledToken[] = "not-a-page-token";

// Counts the requests sent and remembers whether one differed.
class Sender {
 public:
  explicit Sender(const Exchange& exchange) : exchange_(exchange) {}

  // The first target's answer, or nullopt once the answers differed.
  std::optional<Answer> Send(const Request& request) {
    ++outcome_.requests;
    std::optional<Answer> answer = exchange_(request);
    outcome_.identical = answer.has_value();
    return answer;
  }

  const SampleOutcome& outcome() const { return outcome_; }

 private:
  const Exchange& exchange_;
  SampleOutcome outcome_;
};

// Pages of kPageSize, following next_page_token; false once answers differ.
bool SendPages(Sender& sender) {
  items::v1::ListItemsRequest request;
  request.set_page_size(kPageSize);
  for (int page = 1; page <= kPages; ++page) {
    const std::string label =
        page == 1 ? ""
                  : absl::StrCat("ListItems {page_size: ", kPageSize,
                                 ", page_token: <page ", page - 1,
                                 "'s next_page_token>}");
    std::optional<Answer> answer =
        sender.Send(ListItemsRequest(request, label));
    if (!answer.has_value()) {
      return false;
    }
    items::v1::ListItemsResponse response;
    if (answer->code != grpc::StatusCode::OK ||
        !response.ParseFromString(answer->bytes) ||
        response.next_page_token().empty()) {
      return true;
    }
    request.set_page_token(response.next_page_token());
  }
  return true;
}

// An id no item has: above the largest listed when the listing was the whole
// table, else the largest possible.
int64_t UnknownId(const std::vector<int64_t>& ids, bool whole_table) {
  constexpr int64_t kMost = std::numeric_limits<int64_t>::max();
  const int64_t largest =
      ids.empty() ? 0 : *std::max_element(ids.begin(), ids.end());
  return whole_table && largest < kMost ? largest + 1 : kMost;
}

}  // namespace

Request ListItemsRequest(const items::v1::ListItemsRequest& request,
                         std::string label) {
  if (label.empty()) {
    label = absl::StrCat("ListItems {", request.ShortDebugString(), "}");
  }
  return {.label = std::move(label),
          .method = kListItems,
          .bytes = request.SerializeAsString()};
}

Request GetItemRequest(int64_t id) {
  items::v1::GetItemRequest request;
  request.set_id(id);
  // Spelled out: the text format leaves out a zero id.
  return {.label = absl::StrCat("GetItem {id: ", id, "}"),
          .method = kGetItem,
          .bytes = request.SerializeAsString()};
}

std::vector<int64_t> SpreadIds(std::vector<int64_t> ids, int count) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (count <= 0 || ids.empty()) {
    return {};
  }
  if (static_cast<size_t>(count) >= ids.size()) {
    return ids;
  }
  if (count == 1) {
    return {ids.front()};
  }
  std::vector<int64_t> spread;
  const size_t last = ids.size() - 1;
  for (int i = 0; i < count; ++i) {
    // Rounded to the nearest index; ascending, distinct since count <= size.
    spread.push_back(ids[(i * last + (count - 1) / 2) / (count - 1)]);
  }
  return spread;
}

absl::StatusOr<SampleOutcome> RunSample(const Exchange& exchange) {
  Sender sender(exchange);
  const Request whole = ListItemsRequest({});
  std::optional<Answer> listing = sender.Send(whole);
  if (!listing.has_value()) {
    return sender.outcome();
  }
  items::v1::ListItemsResponse response;
  if (listing->code != grpc::StatusCode::OK) {
    return absl::FailedPreconditionError(absl::StrCat(
        whole.label, " failed alike on both targets (", CodeName(listing->code),
        ": \"", absl::CEscape(listing->message), "\"): no ids to ask for"));
  }
  if (!response.ParseFromString(listing->bytes)) {
    return absl::FailedPreconditionError(
        absl::StrCat(whole.label,
                     ": the answer (the same from both targets) is not a "
                     "ListItemsResponse: no ids to ask for"));
  }
  std::vector<int64_t> ids;
  for (const items::v1::Item& item : response.items()) {
    ids.push_back(item.id());
  }
  items::v1::ListItemsRequest garbled;
  garbled.set_page_token(kGarbledToken);
  if (!SendPages(sender) ||
      !sender.Send(ListItemsRequest(garbled)).has_value()) {
    return sender.outcome();
  }
  for (int64_t id : SpreadIds(ids, kSpreadGets)) {
    if (!sender.Send(GetItemRequest(id)).has_value()) {
      return sender.outcome();
    }
  }
  const int64_t unknown =
      UnknownId(ids, /*whole_table=*/response.next_page_token().empty());
  for (int64_t id : {int64_t{0}, unknown}) {
    if (!sender.Send(GetItemRequest(id)).has_value()) {
      break;
    }
  }
  return sender.outcome();
}

}  // namespace asyncgrpc::loadgen
