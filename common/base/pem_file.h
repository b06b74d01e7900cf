// Reads a PEM file named by a command-line flag (a certificate chain, a
// private key, a CA bundle), with errors that name the flag. The services read
// --tls_cert and --tls_key with it, loadgen --tls_ca.
//
//   absl::StatusOr<std::string> pem =
//       ReadPemFile("tls_ca", path, "CERTIFICATE");
//   if (!pem.ok()) ExitWithUsageError(pem.status().message());
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace asyncgrpc {

// The contents of the PEM file `path` given as --`flag`; INVALID_ARGUMENT
// naming the flag ("--tls_ca: cannot use \"path\": why") when it cannot be
// read, is over 1 MiB, or holds no "-----BEGIN <label>" block whose label ends
// with `label_suffix` ("CERTIFICATE", "PRIVATE KEY").
absl::StatusOr<std::string> ReadPemFile(absl::string_view flag,
                                        const std::string& path,
                                        absl::string_view label_suffix);

}  // namespace asyncgrpc
