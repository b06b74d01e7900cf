#include "common/base/pem_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace asyncgrpc {

absl::StatusOr<std::string> ReadPemFile(absl::string_view flag,
                                        const std::string& path,
                                        absl::string_view label_suffix) {
  // Enough for any certificate chain; stops a mistaken --flag=/dev/zero.
  constexpr size_t kMaxSize = 1 << 20;
  auto error = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": cannot use \"", path, "\": ", why));
  };
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"),
                                             &std::fclose);
  if (file == nullptr) {
    return error(std::strerror(errno));
  }
  std::string text(kMaxSize + 1, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), file.get()));
  if (std::ferror(file.get())) {
    return error(std::strerror(errno));
  }
  if (text.size() > kMaxSize) {
    return error("larger than 1 MiB");
  }
  // The label of some "-----BEGIN <label>-----" line must end with the suffix.
  for (size_t at = text.find("-----BEGIN "); at != std::string::npos;
       at = text.find("-----BEGIN ", at + 1)) {
    const size_t label = at + 11;
    const size_t end = text.find("-----", label);
    if (end != std::string::npos &&
        absl::EndsWith(absl::string_view(text).substr(label, end - label),
                       label_suffix)) {
      return text;
    }
  }
  return error(absl::StrCat("no PEM ", label_suffix, " in it"));
}

}  // namespace asyncgrpc
