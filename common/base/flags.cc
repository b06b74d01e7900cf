#include "common/base/flags.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace asyncgrpc {
namespace {

std::string& MutableProgramName() {
  static std::string* name = new std::string("asyncgrpc");
  return *name;
}

// Our own flags, sorted by name; absl's built-ins stay out of --help.
std::vector<absl::CommandLineFlag*> ProjectFlags() {
  std::vector<absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (!absl::StrContains(flag->Filename(), "absl/")) {
      flags.push_back(flag);
    }
  }
  std::sort(flags.begin(), flags.end(),
            [](auto* a, auto* b) { return a->Name() < b->Name(); });
  return flags;
}

[[noreturn]] void PrintUsageAndExit(absl::string_view usage) {
  std::cout << "Usage: " << ProgramName() << " [--flag=value ...]\n"
            << usage << "\n\nFlags:\n";
  for (absl::CommandLineFlag* flag : ProjectFlags()) {
    std::cout << "  --" << flag->Name() << " (default: \""
              << flag->DefaultValue() << "\")\n      " << flag->Help() << "\n";
  }
  std::exit(0);
}

// List flags given more than once accumulate (--target a --target b), as users
// of ghz and k6 expect; other flags take the last value.
absl::flat_hash_map<std::string, std::string>& ListFlagsSeen() {
  static auto* seen = new absl::flat_hash_map<std::string, std::string>();
  return *seen;
}

void SetFlag(absl::string_view name, absl::string_view value) {
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  if (flag == nullptr) {
    ExitWithUsageError(absl::StrCat("unknown flag --", name, " (see --help)"));
  }
  std::string accumulated;
  if (flag->IsOfType<std::vector<std::string>>()) {
    std::string& seen = ListFlagsSeen()[std::string(name)];
    seen = seen.empty() ? std::string(value) : absl::StrCat(seen, ",", value);
    accumulated = seen;
    value = accumulated;
  }
  std::string error;
  if (!flag->ParseFrom(value, &error)) {
    ExitWithUsageError(absl::StrCat("invalid value \"", value, "\" for --",
                                    name, ": ", error));
  }
}

}  // namespace

const std::string& ProgramName() { return MutableProgramName(); }

void ExitWithUsageError(absl::string_view message) {
  std::cerr << ProgramName() << ": " << message << std::endl;
  std::exit(2);
}

std::vector<std::string> ParseFlagsOrExit(int argc, char** argv,
                                          absl::string_view usage) {
  if (argc > 0) {
    absl::string_view path = argv[0];
    MutableProgramName() = std::string(path.substr(path.rfind('/') + 1));
  }
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") {
      positional.insert(positional.end(), argv + i + 1, argv + argc);
      break;
    }
    if (!absl::StartsWith(arg, "-") || arg == "-") {
      positional.emplace_back(arg);
      continue;
    }
    arg.remove_prefix(absl::StartsWith(arg, "--") ? 2 : 1);
    if (arg == "help" || arg == "h" || arg == "helpfull") {
      PrintUsageAndExit(usage);
    }
    if (const size_t eq = arg.find('='); eq != absl::string_view::npos) {
      SetFlag(arg.substr(0, eq), arg.substr(eq + 1));
      continue;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(arg);
    if (flag == nullptr && absl::StartsWith(arg, "no")) {
      absl::CommandLineFlag* negated = absl::FindCommandLineFlag(arg.substr(2));
      if (negated != nullptr && negated->IsOfType<bool>()) {
        SetFlag(arg.substr(2), "false");
        continue;
      }
    }
    if (flag != nullptr && flag->IsOfType<bool>()) {
      SetFlag(arg, "true");
      continue;
    }
    if (flag != nullptr && i + 1 >= argc) {
      ExitWithUsageError(absl::StrCat("flag --", arg, " needs a value"));
    }
    SetFlag(arg, flag != nullptr ? argv[++i] : "");
  }
  return positional;
}

}  // namespace asyncgrpc
