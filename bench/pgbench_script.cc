// Prints a pgbench custom script that runs one of the services' statements
// (common/queries.h, the one source of the SQL), so scripts/ceilings measures
// PostgreSQL on exactly the query a GetItem or ListItems call sends.
//
//   pgbench_script get 800 > get.sql    # GetItem: a random id in 1..800
//   pgbench_script list > list.sql      # ListItems' first page, default size
//   pgbench -n -M prepared -c 16 -f get.sql ...
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/queries.h"
#include "common/request_validation.h"

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: pgbench_script get ITEMS | pgbench_script list\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace asyncgrpc;
  const std::string which = argc >= 2 ? argv[1] : "";
  if (which == "get" && argc == 3) {
    int64_t items = 0;
    if (!absl::SimpleAtoi(argv[2], &items) || items < 1) {
      std::fprintf(stderr,
                   "pgbench_script: ITEMS must be a positive number, "
                   "got '%s'\n",
                   argv[2]);
      return 2;
    }
    std::printf(
        "\\set id random(1, %lld)\n%s;\n", static_cast<long long>(items),
        absl::StrReplaceAll(kGetItemStatement.sql, {{"$1", ":id"}}).c_str());
    return 0;
  }
  if (which == "list" && argc == 2) {
    // BindListItems asks for one row more than the page.
    std::printf("%s;\n", absl::StrReplaceAll(
                             kListFirstPageStatement.sql,
                             {{"$1", absl::StrCat(kDefaultPageSize + 1)}})
                             .c_str());
    return 0;
  }
  return Usage();
}
