#include "loadgen/core/workload.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "loadgen/core/channel.h"
#include "loadgen/core/random.h"

namespace asyncgrpc::loadgen {
namespace {

// Most ListItems messages kept for reuse (see Workload::TakeListResponse).
// Each keeps the capacity of the largest page parsed into it: the cap bounds
// that memory however many calls are in flight (an overloaded target can hold
// thousands), while 128 covers every call of the closed-loop runs that measure
// throughput (64 users). Calls beyond it get a fresh message, as all calls did
// before. Sizes: docs/performance.md, "Figures behind choices in the code".
constexpr size_t kMaxPooledListResponses = 128;

// Uniform in [0, 1).
double Unit(uint64_t x) {
  return static_cast<double>(SplitMix64(x) >> 11) * 0x1.0p-53;
}

}  // namespace

// One iteration: one or two calls chained through their callbacks; deletes
// itself at the end.
class Iteration {
 public:
  Iteration(Workload& workload, uint64_t key, Workload::Done done)
      : workload_(workload),
        key_(key),
        stub_(*workload.stubs_[workload.next_stub_++ % workload.stubs_.size()]),
        done_(std::move(done)) {}

  ~Iteration() {
    if (list_response_ != nullptr) {
      workload_.ReturnListResponse(std::move(list_response_));
    }
  }

  void Start() {
    const Scenario& scenario = workload_.config_.scenario;
    const double pick = Unit(key_) * scenario.weights.back();
    const size_t index = std::upper_bound(scenario.weights.begin(),
                                          scenario.weights.end(), pick) -
                         scenario.weights.begin();
    action_ = scenario.actions[std::min(index, scenario.actions.size() - 1)];
    if (action_ == Action::kGet) {
      Get(1 + static_cast<int64_t>(
                  SplitMix64(key_ + 1) %
                  static_cast<uint64_t>(workload_.config_.item_ids)));
    } else {
      List();
    }
  }

 private:
  grpc::ClientContext& NewContext() {
    context_.emplace();
    context_->set_deadline(
        absl::ToChronoTime(absl::Now() + workload_.config_.deadline));
    return *context_;
  }

  void List() {
    list_response_ = workload_.TakeListResponse();
    stub_.async()->ListItems(&NewContext(), &list_request_,
                             list_response_.get(),
                             [this](grpc::Status status) { OnList(status); });
  }

  void OnList(const grpc::Status& status) {
    if (!status.ok() || action_ == Action::kList ||
        list_response_->items_size() == 0) {
      Finish(status.error_code());
      return;
    }
    // The study's second query: the details of one listed item.
    const int pick =
        static_cast<int>(SplitMix64(key_ + 2) % list_response_->items_size());
    Get(list_response_->items(pick).id());
  }

  void Get(int64_t id) {
    get_request_.set_id(id);
    stub_.async()->GetItem(
        &NewContext(), &get_request_, &item_,
        [this](grpc::Status status) { Finish(status.error_code()); });
  }

  void Finish(grpc::StatusCode code) {
    Workload::Done done = std::move(done_);
    Workload& workload = workload_;
    delete this;
    done(code);
    --workload.in_flight_;
  }

  Workload& workload_;
  const uint64_t key_;
  items::v1::ItemService::Stub& stub_;
  Workload::Done done_;
  Action action_ = Action::kGet;
  std::optional<grpc::ClientContext> context_;
  items::v1::ListItemsRequest list_request_;
  // Parsed into by gRPC; from the workload's pool, back there on delete.
  std::unique_ptr<items::v1::ListItemsResponse> list_response_;
  items::v1::GetItemRequest get_request_;
  items::v1::Item item_;
};

Workload::Workload(const RunConfig& config, const Target& target)
    : config_(config) {
  const ChannelTls tls{.root_certs_pem = config.tls_root_certs_pem,
                       .server_name = config.tls_server_name};
  for (int i = 0; i < config.channels; ++i) {
    channels_.push_back(NewTargetChannel(target.address, tls, i));
    stubs_.push_back(items::v1::ItemService::NewStub(channels_.back()));
  }
}

bool Workload::WaitConnected(absl::Time deadline) {
  for (const auto& channel : channels_) {
    if (!channel->WaitForConnected(absl::ToChronoTime(deadline))) {
      return false;
    }
  }
  return true;
}

bool Workload::Reachable() {
  for (const auto& channel : channels_) {
    const grpc_connectivity_state state = channel->GetState(false);
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE ||
        state == GRPC_CHANNEL_SHUTDOWN) {
      return false;
    }
  }
  return true;
}

std::unique_ptr<items::v1::ListItemsResponse> Workload::TakeListResponse() {
  {
    absl::MutexLock lock(&list_responses_mu_);
    if (!list_responses_.empty()) {
      std::unique_ptr<items::v1::ListItemsResponse> response =
          std::move(list_responses_.back());
      list_responses_.pop_back();
      return response;
    }
  }
  return std::make_unique<items::v1::ListItemsResponse>();
}

void Workload::ReturnListResponse(
    std::unique_ptr<items::v1::ListItemsResponse> response) {
  {
    absl::MutexLock lock(&list_responses_mu_);
    if (list_responses_.size() < kMaxPooledListResponses) {
      list_responses_.push_back(std::move(response));
      return;
    }
  }
  // Beyond the cap `response` is freed here, outside the lock.
}

void Workload::Start(uint64_t key, Done done) {
  ++in_flight_;
  (new Iteration(*this, key, std::move(done)))->Start();
}

bool Workload::Drain(absl::Time deadline) const {
  while (in_flight_.load() > 0) {
    if (absl::Now() >= deadline) {
      return false;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

}  // namespace asyncgrpc::loadgen
