#!/usr/bin/env bash
# Fails, listing the files, when any C++ source in the repository is not clang-formatted.
set -euo pipefail
cd "$(git rev-parse --show-toplevel 2>/dev/null || pwd)"
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cc' '*.h' 2>/dev/null ||
  find . -path ./build -prune -o -path '*/node_modules' -prune -o \( -name '*.cc' -o -name '*.h' \) -print)
bad=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "not clang-formatted (run: clang-format -i FILE): ${bad[*]}" >&2
  exit 1
fi
echo "clang-format: ${#files[@]} files checked"
