#include "loadgen/identical/answers.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace asyncgrpc::loadgen {
namespace {

// A status message quoted for one line, C-escaped so that a newline in it
// cannot break the line.
std::string Quoted(const std::string& message) {
  return absl::StrCat("\"", absl::CEscape(message), "\"");
}

// "OK" or "NOT_FOUND: \"no item with id 801\"".
std::string StatusText(const Answer& answer) {
  if (answer.message.empty()) {
    return CodeName(answer.code);
  }
  return absl::StrCat(CodeName(answer.code), ": ", Quoted(answer.message));
}

}  // namespace

std::string CodeName(grpc::StatusCode code) {
  // gRPC's codes and absl's map one to one.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

std::optional<size_t> FirstDifference(const std::string& a,
                                      const std::string& b) {
  const size_t common = std::min(a.size(), b.size());
  const auto [in_a, in_b] =
      std::mismatch(a.begin(), a.begin() + common, b.begin());
  const size_t offset = in_a - a.begin();
  if (offset == common && a.size() == b.size()) {
    return std::nullopt;
  }
  return offset;
}

std::optional<std::string> DescribeDifference(const std::string& request,
                                              const NamedAnswer& a,
                                              const NamedAnswer& b) {
  if (a.answer.code != b.answer.code) {
    return absl::StrCat(request, ": ", a.target, " ", StatusText(a.answer),
                        ", ", b.target, " ", StatusText(b.answer));
  }
  if (a.answer.message != b.answer.message) {
    return absl::StrCat(request, ": both ", CodeName(a.answer.code),
                        ", messages differ: ", a.target, " ",
                        Quoted(a.answer.message), ", ", b.target, " ",
                        Quoted(b.answer.message));
  }
  const std::optional<size_t> at =
      FirstDifference(a.answer.bytes, b.answer.bytes);
  if (!at.has_value()) {
    return std::nullopt;
  }
  return absl::StrCat(request, ": ", a.target, " ", a.answer.bytes.size(),
                      " bytes, ", b.target, " ", b.answer.bytes.size(),
                      " bytes, first difference at byte ", *at);
}

std::string SameAnswersLine(int requests, const std::string& a,
                            const std::string& b) {
  return absl::StrCat("identical: ", requests,
                      " requests, same status and byte-identical answers "
                      "from ",
                      a, " and ", b);
}

}  // namespace asyncgrpc::loadgen
