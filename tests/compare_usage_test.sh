#!/usr/bin/env bash
# scripts/compare's bad input: one line on stderr and exit 2, before anything is installed, built or
# started (the output directory is never created). --help exits 0.
set -uo pipefail
compare=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)/scripts/compare
out=$(mktemp -d)/never-created
source "$(dirname -- "${BASH_SOURCE[0]}")/expect_exit_2.bash"

# expect_usage_error EXPECTED_TEXT ARG...: compare with ARG...
expect_usage_error() {
  local expected=$1
  shift
  expect_exit_2 "$expected" "$compare" --out "$out" "$@"
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
expect_usage_error 'unknown sweep name "threads" (upstream_delay, items, pool, think_time or max_threads)' \
  --sweep threads=1,2
expect_usage_error '--sweep needs NAME=V1,V2,...' --sweep upstream_delay
expect_usage_error '--sweep upstream_delay: give the last value a unit' --sweep upstream_delay=0,20
expect_usage_error '--sweep upstream_delay: "fast" is not a duration' --sweep upstream_delay=0,fast,20ms
expect_usage_error '--sweep pool: "x" is not a whole number from 1 to 10000' --sweep pool=8,x
expect_usage_error '--sweep max_threads: "1" is not a whole number from 2 to 10000' --sweep max_threads=1,4
expect_usage_error '--sweep pool: an empty value in "8,,16"' --sweep pool=8,,16
expect_usage_error '--sweep pool: 8 is given twice' --sweep pool=8,8
expect_usage_error '--preset study fixes items' --preset study --sweep items=100,800
expect_usage_error '--preset study fixes think_time' --sweep think_time=0,1s --preset study
expect_usage_error '--pool and --sweep pool: give one' --pool 4 --sweep pool=8,16
expect_usage_error '--sweep think_time runs closed-loop users' --rate 100:200:100 --sweep think_time=0,1s

help=$("$compare" --help)
for option in '--preset study' '--sweep NAME=V1,V2,...'; do
  if [[ $help != *"$option"* ]]; then
    echo "FAIL: compare --help does not describe $option" >&2
    failures=$((failures + 1))
  fi
done
exit $((failures > 0))
