#!/usr/bin/env bash
# scripts/compare end to end, kept short: the pooled preset's --quick run over a small ramp, on a
# PostgreSQL of its own. Checks that the identity check ran, that stdout ends with the verdict, and
# that results.json and report.html carry it and what ran. Stops the PostgreSQL it started.
set -uo pipefail
root=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
port=24390
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
trap '"$root/scripts/local-postgres" stop --data-dir "$work/pg" >/dev/null 2>&1; rm -rf "$work"' EXIT

"$root/scripts/compare" --quick --rate 100:400:100 --data-dir "$work/pg" --port "$port" \
  --out "$work/out" >"$work/stdout" 2>"$work/stderr"
code=$?
failures=()
[ "$code" = 0 ] || failures+=("exit $code")
grep -q '^identical: 27 requests' "$work/stdout" "$work/stderr" ||
  failures+=("no line from loadgen identical")
# The verdict is the last thing on stdout: its header, then six indented sentences.
[ "$(tail -n 7 "$work/stdout" | head -n 1)" = 'verdict (single run):' ] ||
  failures+=("stdout does not end with the verdict")
grep -q '^run: preset pooled' "$work/stdout" || failures+=("stdout does not say what ran")
# results.json is read with node (installed by scripts/install-deps for buf).
check_json='
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const v = r.verdict || {};
  const facts = v.facts || [];
  const problems = [];
  if (v.basis !== "single run" || (v.sentences || []).length !== 6) problems.push("results.json has no verdict of six sentences");
  if (!String(r.config.description).startsWith("preset pooled")) problems.push("results.json has no description");
  if (!facts.some((f) => f.name === "cpu_per_call_us" && f.target === "sync" && f.detail === "db"))
    problems.push("the verdict has no PostgreSQL CPU per call for sync (--cpu_pid db=...)");
  if (!r.targets[0].steps[0].server_metrics) problems.push("no server metrics were scraped");
  console.log(problems.join("\n"));'
while IFS= read -r problem; do
  [ -n "$problem" ] && failures+=("$problem")
done < <(node -e "$check_json" "$work/out/results.json" 2>&1)
grep -q "verdictSection(model)" "$work/out/report.html" || failures+=("report.html has no verdict section")

if ((${#failures[@]})); then
  printf 'FAIL: %s\n' "${failures[@]}" >&2
  echo "--- stdout" >&2; tail -n 30 "$work/stdout" >&2
  echo "--- stderr" >&2; grep -v '^\[' "$work/stderr" | tail -n 30 >&2
  exit 1
fi
echo "compare --quick: verdict, identity check, description, server metrics and CPU per call present"
