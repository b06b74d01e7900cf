#!/usr/bin/env bash
# scripts/ceilings' and the floor servers' bad input: one line on stderr and exit 2, before anything
# is installed, built or started (ceilings' output directory is never created). --help exits 0.
# Usage: ceilings_usage_test.sh FLOOR_SYNC FLOOR_CALLBACK
set -uo pipefail
ceilings=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)/scripts/ceilings
floor_sync=$1 floor_callback=$2
out=$(mktemp -d)/never-created
source "$(dirname -- "${BASH_SOURCE[0]}")/expect_exit_2.bash"

expect_exit_2 '--duration must be a positive number of seconds, got 0' \
  "$ceilings" --out "$out" --duration 0
expect_exit_2 '--pool must be a positive number, got x' "$ceilings" --out "$out" --pool x
expect_exit_2 '--out needs a value' "$ceilings" --out
expect_exit_2 'unknown argument --fast' "$ceilings" --out "$out" --fast
expect_exit_2 'takes no positional arguments' "$floor_sync" extra
expect_exit_2 '--max_threads must be at least 2' "$floor_sync" --max_threads=1
expect_exit_2 'takes no positional arguments' "$floor_callback" extra
# No database on port 1: the table cannot be read.
for floor in "$floor_sync" "$floor_callback"; do
  expect_exit_2 'cannot connect to the database' "$floor" --db=postgresql://127.0.0.1:1/items
done

help=$("$ceilings" --help) || { echo "FAIL: ceilings --help exited $?" >&2; failures=$((failures + 1)); }
[[ $help == *"--cpu-only"* ]] || { echo "FAIL: ceilings --help does not list --cpu-only" >&2; failures=$((failures + 1)); }

if ((failures)); then
  echo "$failures case(s) failed" >&2
  exit 1
fi
echo "ceilings and floor servers: every bad input refused with one line, exit 2"
