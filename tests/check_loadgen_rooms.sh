#!/usr/bin/env bash
# Fails, naming the file and line, when loadgen's rooms (loadgen/CMakeLists.txt) are crossed: a room
# including a room it may not, service code (common/ outside common/base/) included or linked
# anywhere in loadgen/, socket code anywhere in loadgen/ (HTTP goes through libcurl), or a non-test
# C++ file over 450 lines.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/../loadgen"

# room -> the loadgen rooms it may include besides itself.
declare -A allowed=(
  [core]=''
  [report]=''
  [distributed]='core report'
  [server_metrics]='core'
  [process_cpu]='core'
  [diff]='distributed'
  [identical]='core'
  [verdict]='core'
  [sweep]='core verdict distributed report'
)
bad=()
for room in "${!allowed[@]}"; do
  [ -d "$room" ] || { bad+=("loadgen/$room: the room is missing"); continue; }
  while IFS= read -r hit; do
    included=$(sed -E 's|.*#include "loadgen/([a-z_]+)/.*|\1|' <<<"$hit")
    [[ $included == "$room" || " ${allowed[$room]} " == *" $included "* ]] ||
      bad+=("loadgen/$room/${hit%%:*}: includes loadgen/$included/, which $room may not")
  done < <(cd "$room" && grep -rnE '#include "loadgen/[a-z_]+/' --include='*.h' --include='*.cc' . |
    sed 's|^\./||' | cut -d: -f1,2,3-)
done

while IFS= read -r hit; do
  bad+=("loadgen/$hit: includes the services' code (loadgen may use common/base/ only)")
done < <(grep -rnE '#include "common/' --include='*.h' --include='*.cc' . | grep -v '"common/base/' |
  sed 's|^\./||')
while IFS= read -r hit; do
  bad+=("loadgen/$hit: links the services' library (loadgen may link asyncgrpc_base only)")
done < <(grep -rnE 'asyncgrpc_(service_)?common' --include=CMakeLists.txt . | sed 's|^\./||')

while IFS= read -r hit; do
  bad+=("loadgen/$hit: socket code (use libcurl)")
done < <(grep -rnE '#include <(sys/socket|netdb|netinet/[a-z_]+|arpa/inet|poll|sys/epoll)\.h>' \
  --include='*.h' --include='*.cc' . | sed 's|^\./||')

files=0
while IFS= read -r file; do
  files=$((files + 1))
  lines=$(wc -l <"$file")
  ((lines <= 450)) || bad+=("loadgen/${file#./}: $lines lines (at most 450: split it by job)")
done < <(find . -path ./report/web/node_modules -prune -o \( -name '*.cc' -o -name '*.h' \) \
  ! -name '*_test.cc' ! -name '*_fuzzer.cc' -print)

if ((${#bad[@]})); then
  printf '%s\n' "${bad[@]}" >&2
  exit 1
fi
echo "loadgen rooms: ${#allowed[@]} rooms, $files files checked"
