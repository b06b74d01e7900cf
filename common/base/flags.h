// Command-line parsing for our binaries over absl flags, with the exit codes of
// a well-behaved CLI:
// --help prints usage and exits 0; an unknown flag or a bad value prints one
// line and exits 2 (absl::ParseCommandLine exits 1 and prints a multi-line
// report).
//
//   int main(int argc, char** argv) {
//     std::vector<std::string> args =
//         ParseFlagsOrExit(argc, argv, "Serves items.v1.ItemService.");
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace asyncgrpc {

// Sets every --flag in argv and returns the positional arguments (argv[0]
// excluded).
std::vector<std::string> ParseFlagsOrExit(int argc, char** argv,
                                          absl::string_view usage);

// Prints "<program>: <message>" on stderr and exits with status 2.
[[noreturn]] void ExitWithUsageError(absl::string_view message);

// The basename of argv[0], once ParseFlagsOrExit has run.
const std::string& ProgramName();

}  // namespace asyncgrpc
