#!/usr/bin/env bash
# scripts/compare's bad input: one line on stderr and exit 2, before anything is installed, built or
# started (the output directory is never created). --help exits 0.
set -uo pipefail
compare=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)/scripts/compare
out=$(mktemp -d)/never-created
failures=0

# expect_usage_error EXPECTED_TEXT ARG...
expect_usage_error() {
  local expected=$1
  shift
  local stderr code
  stderr=$("$compare" --out "$out" "$@" 2>&1 >/dev/null)
  code=$?
  if [ "$code" != 2 ] || [ "$(wc -l <<<"$stderr")" != 1 ] || [[ $stderr != *"$expected"* ]] ||
    [ -e "$out" ]; then
    echo "FAIL: compare $*: exit $code, stderr: $stderr" >&2
    failures=$((failures + 1))
  fi
}

expect_usage_error 'unknown preset "fast" (pooled or study)' --preset fast
expect_usage_error '--preset needs a value' --preset
expect_usage_error '--preset study fixes what --scenario sets' --preset study --scenario get
expect_usage_error '--preset study fixes what --think_time sets' --think_time 2s --preset study
expect_usage_error '--preset study fixes what --users sets' --preset study --users 10:100:10
expect_usage_error '--preset study fixes what --rate sets' --preset study --rate 100:200:100
expect_usage_error '--preset study fixes what --open sets' --preset study --open
expect_usage_error '--preset study fixes what --items sets' --items 100 --preset study
expect_usage_error '--repeat must be a positive number, got 0' --repeat 0
expect_usage_error '--pool must be a positive number, got x' --pool x
expect_usage_error 'unknown argument --bogus' --bogus

if ! "$compare" --help | grep -q -- '--preset study'; then
  echo "FAIL: compare --help does not describe --preset study" >&2
  failures=$((failures + 1))
fi
exit $((failures > 0))
