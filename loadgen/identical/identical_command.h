// `loadgen identical --target A=HOST:PORT --target B=HOST:PORT`: proves, before
// any load, that two targets answer alike. It sends both the same sample of
// requests (sample.h) and compares, request by request, the status code, the
// status message and the response bytes as received (answers.h), stopping at
// the first difference.
//
//   int main(...) {
//     ...
//     return IdenticalCommand({.targets = absl::GetFlag(FLAGS_target)},
//                             std::cout, std::cerr);
//   }
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace asyncgrpc::loadgen {

// The command line as given.
struct IdenticalFlags {
  // --target, exactly two: NAME=HOST:PORT (or HOST:PORT).
  std::vector<std::string> targets;
  // --tls_ca: a PEM file of root certificates; empty: plaintext.
  std::string tls_ca;
  // --tls_server_name: with --tls_ca, the name the certificates must carry.
  std::string tls_server_name;
};

// The exit code of `loadgen identical`: 0 when every answer was identical, with
// one line on `out` saying so ("identical: 27 requests, same status and
// byte-identical answers from sync and async"); 1 at the first difference, with
// one line on `err` naming the request and the difference ("loadgen: answers
// differ: GetItem {id: 25}: sync 230 bytes, async 231 bytes, first difference
// at byte 17"); 2 for bad input (not exactly two targets, a target that does
// not parse, a name given twice, an unreadable --tls_ca), an unreachable
// target or a first listing that failed on both, with one line "loadgen: ..."
// on `err`.
int IdenticalCommand(const IdenticalFlags& flags, std::ostream& out,
                     std::ostream& err);

}  // namespace asyncgrpc::loadgen
