#!/usr/bin/env bash
# The image, built and run for real (ctest container_image, label container). Builds deploy/Dockerfile
# with buildah (deploy/build-image: its build stage compiles the binaries, as `docker build` would;
# cached layers make a rebuild of unchanged sources take seconds), then proves that:
#   - every binary starts inside it as uid 10001 (`--help` exits 0, psql and pg_isready too) and
#     ldd finds every library each loads;
#   - the seed Job's own command (read from deploy/k8s/base/seed-job.yaml) run in the image seeds a
#     PostgreSQL on the host (scripts/local-postgres);
#   - both services, each in a container of the image (host network, free ports), serve a short
#     closed-loop ramp that loadgen, in a third container, runs against both: results.json's counts
#     add up and both arms answered.
# Prints the image's size and build time. Where buildah cannot run (not root, no buildah...), one line
# says why and the test is skipped (exit 77), never passed.
# Usage: tests/container_test.sh
set -euo pipefail

root=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
tag=localhost/asyncgrpc:container-test
items=300

skip() { echo "SKIPPED: container test: $1"; exit 77; }
fail() { echo "container test: FAILED: $1" >&2; exit 1; }
((EUID == 0)) || skip "buildah --isolation chroot needs root"
command -v buildah >/dev/null 2>&1 || skip "buildah is not installed (scripts/install-deps installs it)"

work=$(mktemp -d /tmp/container_test.XXXXXX)
chmod 755 "$work"
containers=()
servers=()
cleanup() {
  # SIGTERM to the services themselves (they drain and exit; `timeout` inside their containers bounds
  # them anyway), then reap their `buildah run`s.
  pkill -TERM -f "^(sync|async)_service --listen=127.0.0.1:0 --db=$uri\$" 2>/dev/null || true
  for pid in "${servers[@]}"; do wait "$pid" 2>/dev/null || true; done
  for c in "${containers[@]}"; do buildah rm "$c" >/dev/null 2>&1 || true; done
  "$root/scripts/local-postgres" stop --data-dir "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
uri=unset-yet
trap cleanup EXIT

# new_container VAR: a new container of the image, its name in $VAR, removed at exit. (Not in a
# $(...) subshell, which would lose the record.)
new_container() {
  local created
  created=$(buildah from --quiet --pull=never "$tag")
  containers+=("$created")
  printf -v "$1" %s "$created"
}
in_image() { buildah run --isolation chroot --network host "$@"; }

probe=$(buildah from --quiet scratch 2>"$work/probe.log") ||
  skip "buildah cannot make a container here: $(head -n 1 "$work/probe.log")"
buildah rm "$probe" >/dev/null

echo "== building deploy/Dockerfile"
start=$(date +%s)
size=$("$root/deploy/build-image" --tag "$tag" --quiet | tail -n 1)
echo "image: $size (built in $(($(date +%s) - start)) s)"

echo "== every binary starts inside it as uid 10001"
new_container image
uid=$(in_image "$image" -- id -u)
[ "$uid" = 10001 ] || fail "the image runs as uid $uid, not 10001"
for b in sync_service async_service loadgen psql pg_isready; do
  in_image "$image" -- "$b" --help >/dev/null || fail "$b --help exits non-zero in the image"
  echo "$b: starts"
done
# psql and pg_isready are Debian's wrapper scripts: the libraries are those of the real binaries.
for path in /usr/local/bin/sync_service /usr/local/bin/async_service /usr/local/bin/loadgen \
  /usr/lib/postgresql/15/bin/psql /usr/lib/postgresql/15/bin/pg_isready; do
  libraries=$(in_image "$image" -- ldd "$path") || fail "ldd $path fails in the image"
  ! grep 'not found' <<<"$libraries" || fail "$path cannot find those libraries in the image"
  echo "$path: $(grep -c '=>' <<<"$libraries") libraries, every one found"
done

echo "== the seed Job's command, run in the image against PostgreSQL on the host"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
uri=$("$root/scripts/local-postgres" start --data-dir "$work/pg" --port "$port" --items 1 2>"$work/pg.log" |
  tail -n 1) || fail "scripts/local-postgres: $(tail -n 3 "$work/pg.log")"
# The Job's script: the block scalar under `command: [/bin/sh, -c, |]`, unindented.
seed_script=$(awk '/^            - \|$/ { on = 1; next } on && /^          [a-zA-Z]/ { exit } on' \
  "$root/deploy/k8s/base/seed-job.yaml" | sed 's/^              //')
grep -q 'psql .*-f /sql/seed.sql' <<<"$seed_script" || fail "no seed command found in seed-job.yaml"
new_container seeder
in_image --env PGHOST=127.0.0.1 --env PGPORT="$port" --env PGDATABASE=items --env PGUSER=asyncgrpc \
  --env ITEMS="$items" --volume "$root/common/sql:/sql:ro" "$seeder" -- /bin/sh -c "$seed_script"
seeded=$(psql -X -qAt "$uri" -c 'SELECT count(*) FROM items')
[ "$seeded" = "$items" ] || fail "the seed Job left $seeded items, not $items"

echo "== both services in containers, loadgen in a third"
declare -A address
for arm in sync async; do
  new_container server
  in_image "$server" -- timeout 300 "${arm}_service" --listen=127.0.0.1:0 "--db=$uri" \
    >"$work/$arm.log" 2>&1 &
  servers+=($!)
  for _ in $(seq 600); do
    address[$arm]=$(sed -n 's/^listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$work/$arm.log" | head -n 1)
    [ -n "${address[$arm]}" ] && break
    sleep 0.1
  done
  [ -n "${address[$arm]}" ] || fail "${arm}_service did not start in the image: $(tail -n 3 "$work/$arm.log")"
  echo "${arm}_service in the image: listening on ${address[$arm]}"
done
mkdir -m 777 "$work/out"
new_container loadgen
in_image --volume "$work/out:/out" "$loadgen" -- timeout 300 loadgen \
  --target "sync=${address[sync]}" --target "async=${address[async]}" --users 2:4:2 \
  --think_time 50ms --step_duration 3s --warmup 1s --scenario seed --out /out/run >"$work/loadgen.log" 2>&1 ||
  fail "loadgen in the image: $(tail -n 5 "$work/loadgen.log")"

results=$work/out/run/results.json
[ -s "$results" ] || fail "loadgen wrote no results.json"
for arm in sync async; do
  read -r requests ok errors steps < <(jq -r --arg arm "$arm" '
    [.targets[] | select(.name == $arm) | .steps[]] as $s
    | [($s | map(.requests | tonumber) | add), ($s | map(.ok | tonumber) | add),
       ($s | map(.errors | to_entries | map(.value | tonumber) | add // 0) | add), ($s | length)]
    | @tsv' "$results")
  ((steps == 2)) || fail "$arm: $steps steps in results.json, not 2"
  ((requests == ok + errors)) || fail "$arm: $requests requests but $ok OK + $errors errors"
  ((ok > 0)) || fail "$arm answered no call"
  echo "$arm: $steps steps, $requests requests = $ok OK + $errors errors"
done
echo "container test: passed ($size)"
