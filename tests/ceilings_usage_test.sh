#!/usr/bin/env bash
# scripts/ceilings', the floor servers' and the floor client's bad input: one line on stderr and
# exit 2, before anything is installed, built or started (ceilings' output directory is never
# created). --help exits 0; the floor client exits 1 when its calls fail.
# Usage: ceilings_usage_test.sh FLOOR_SYNC FLOOR_CALLBACK FLOOR_CLIENT
set -uo pipefail
ceilings=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)/scripts/ceilings
floor_sync=$1 floor_callback=$2 floor_client=$3
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

expect_exit_2 '--target is required' "$floor_client"
expect_exit_2 '--rate must be above 0' "$floor_client" --target=127.0.0.1:1 --rate=0
expect_exit_2 '--duration and --deadline must be above 0' "$floor_client" --target=127.0.0.1:1 --duration=0s
expect_exit_2 '--channels and --item_ids must be at least 1' "$floor_client" --target=127.0.0.1:1 --channels=0
expect_exit_2 'takes no positional arguments' "$floor_client" --target=127.0.0.1:1 extra
# Nobody on port 1: every call fails, and the floor client says so and exits 1.
counts=$("$floor_client" --target=127.0.0.1:1 --rate=100 --duration=200ms --deadline=2s 2>/dev/null)
code=$?
if [ "$code" != 1 ] || [[ $counts != *" 0 ok, "*" failed" ]]; then
  echo "FAIL: floor_client against no server: exit $code, stdout: $counts" >&2
  failures=$((failures + 1))
fi

help=$("$ceilings" --help) || { echo "FAIL: ceilings --help exited $?" >&2; failures=$((failures + 1)); }
[[ $help == *"--cpu-only"* ]] || { echo "FAIL: ceilings --help does not list --cpu-only" >&2; failures=$((failures + 1)); }

if ((failures)); then
  echo "$failures case(s) failed" >&2
  exit 1
fi
echo "ceilings, floor servers and floor client: every bad input refused with one line, exit 2"
