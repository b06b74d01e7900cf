// `loadgen identical`'s judgement of one request's two answers: the same gRPC
// status code, the same status message and the same response bytes as
// received, or else one line naming the request and the first difference.
// Pure logic; the calls are caller.h's.
//
//   Answer sync{.code = grpc::StatusCode::OK, .bytes = "..."};
//   Answer async{.code = grpc::StatusCode::OK, .bytes = "..."};
//   std::optional<std::string> difference =
//       DescribeDifference("GetItem {id: 25}", {"sync", sync}, {"async", async});
//   // "GetItem {id: 25}: sync 230 bytes, async 231 bytes, first difference at byte 17"
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>
#include <optional>
#include <string>

namespace asyncgrpc::loadgen {

// One target's answer to one request.
struct Answer {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
  // The serialized response exactly as it arrived (empty on an error).
  std::string bytes;
};

// A target's answer and the target's name, for the messages.
struct NamedAnswer {
  std::string target;
  Answer answer;
};

// "OK", "NOT_FOUND", ...: the code's name as gRPC spells it.
std::string CodeName(grpc::StatusCode code);

// The offset (from 0) of the first byte where `a` and `b` differ; the length
// of the shorter one when it is a prefix of the other; nullopt when equal.
std::optional<size_t> FirstDifference(const std::string& a,
                                      const std::string& b);

// Nothing when the two answers are identical; else "<request>: <difference>",
// the first of: differing codes ("sync OK, async UNAVAILABLE: \"why\""),
// differing messages ("both INVALID_ARGUMENT, messages differ: sync \"a\",
// async \"b\""), differing bytes ("sync 230 bytes, async 231 bytes, first
// difference at byte 17").
std::optional<std::string> DescribeDifference(const std::string& request,
                                              const NamedAnswer& a,
                                              const NamedAnswer& b);

// The line for `requests` requests all answered alike: "identical: 27
// requests, same status and byte-identical answers from sync and async".
std::string SameAnswersLine(int requests, const std::string& a,
                            const std::string& b);

}  // namespace asyncgrpc::loadgen
