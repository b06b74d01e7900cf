#include "loadgen/identical/identical_command.h"

#include <memory>
#include <optional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/base/pem_file.h"
#include "loadgen/core/grpc_log.h"
#include "loadgen/core/notation.h"
#include "loadgen/identical/answers.h"
#include "loadgen/identical/caller.h"
#include "loadgen/identical/sample.h"

namespace asyncgrpc::loadgen {
namespace {

// How long each target has to accept a connection before any request, as
// before a run's ramp.
constexpr absl::Duration kConnectTimeout = absl::Seconds(3);

int BadInput(std::ostream& err, absl::string_view message) {
  err << "loadgen: " << message << std::endl;
  return 2;
}

// The two targets, parsed; INVALID_ARGUMENT naming --target otherwise.
absl::StatusOr<std::pair<Target, Target>> ParseTwoTargets(
    const std::vector<std::string>& specs) {
  if (specs.size() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "identical needs exactly two --target NAME=HOST:PORT, not ",
        specs.size()));
  }
  absl::StatusOr<Target> a = ParseTarget(specs[0]);
  if (!a.ok()) {
    return a.status();
  }
  absl::StatusOr<Target> b = ParseTarget(specs[1]);
  if (!b.ok()) {
    return b.status();
  }
  if (a->name == b->name) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--target: the name ", a->name,
        " is given twice (name them: --target A=HOST:PORT --target "
        "B=HOST:PORT)"));
  }
  return std::make_pair(*std::move(a), *std::move(b));
}

absl::StatusOr<ChannelTls> TlsOf(const IdenticalFlags& flags) {
  ChannelTls tls{.server_name = flags.tls_server_name};
  if (flags.tls_ca.empty()) {
    return tls;
  }
  absl::StatusOr<std::string> pem =
      ReadPemFile("tls_ca", flags.tls_ca, "CERTIFICATE");
  if (!pem.ok()) {
    return pem.status();
  }
  tls.root_certs_pem = *std::move(pem);
  return tls;
}

// UNAVAILABLE naming the target that did not connect in time.
absl::Status WaitBothConnected(TargetCaller& a, TargetCaller& b) {
  for (TargetCaller* caller : {&a, &b}) {
    if (!caller->WaitConnected(absl::Now() + kConnectTimeout)) {
      const Target& target = caller->target();
      const std::string grpc_error = LastGrpcError();
      return absl::UnavailableError(absl::StrCat(
          "cannot reach target ", target.name, " at ", target.address,
          grpc_error.empty() ? "" : absl::StrCat(" (gRPC: ", grpc_error, ")")));
    }
  }
  return absl::OkStatus();
}

}  // namespace

int IdenticalCommand(const IdenticalFlags& flags, std::ostream& out,
                     std::ostream& err) {
  absl::StatusOr<std::pair<Target, Target>> targets =
      ParseTwoTargets(flags.targets);
  if (!targets.ok()) {
    return BadInput(err, targets.status().message());
  }
  absl::StatusOr<ChannelTls> tls = TlsOf(flags);
  if (!tls.ok()) {
    return BadInput(err, tls.status().message());
  }
  KeepGrpcLogOffStderr();
  TargetCaller a(targets->first, *tls);
  TargetCaller b(targets->second, *tls);
  if (absl::Status status = WaitBothConnected(a, b); !status.ok()) {
    return BadInput(err, status.message());
  }
  std::optional<std::string> difference;
  absl::StatusOr<SampleOutcome> outcome =
      RunSample([&](const Request& request) -> std::optional<Answer> {
        NamedAnswer from_a{a.target().name, a.Call(request)};
        NamedAnswer from_b{b.target().name, b.Call(request)};
        difference = DescribeDifference(request.label, from_a, from_b);
        if (difference.has_value()) {
          return std::nullopt;
        }
        return std::move(from_a.answer);
      });
  if (!outcome.ok()) {
    return BadInput(err, outcome.status().message());
  }
  if (!outcome->identical) {
    err << "loadgen: answers differ: " << *difference << std::endl;
    return 1;
  }
  out << SameAnswersLine(outcome->requests, a.target().name, b.target().name)
      << std::endl;
  return 0;
}

}  // namespace asyncgrpc::loadgen
