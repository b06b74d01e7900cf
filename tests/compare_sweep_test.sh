#!/usr/bin/env bash
# scripts/compare --sweep end to end, kept short: --quick over two upstream delays and a small ramp,
# on a PostgreSQL of its own. Checks the progress lines, one run per value in its own directory,
# sweep.json with both points, each value's SLO allowing for the delay, and the crossover stated in
# the verdict (found or not: a single run decides nothing), and report.html's sweep section.
set -uo pipefail
root=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
port=24490
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
trap '"$root/scripts/local-postgres" stop --data-dir "$work/pg" >/dev/null 2>&1; rm -rf "$work"' EXIT

"$root/scripts/compare" --quick --rate 100:300:100 --sweep upstream_delay=0,20ms \
  --data-dir "$work/pg" --port "$port" --out "$work/out" >"$work/stdout" 2>"$work/stderr"
code=$?
failures=()
[ "$code" = 0 ] || failures+=("exit $code")
grep -q '^compare: sweep upstream_delay = 20ms (value 2 of 2): .* so far, about .* left$' "$work/stderr" ||
  failures+=("no progress line for the second value")
for value in 0ms 20ms; do
  [ -s "$work/out/upstream_delay-$value/results.json" ] || failures+=("no run for $value")
done
[ "$(tail -n 6 "$work/stdout" | head -n 1)" = 'verdict (single run per value):' ] ||
  failures+=("stdout does not end with the sweep's verdict")
check_json='
  const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const sweep = s.sweep || {};
  const points = sweep.points || [];
  const sentences = (s.verdict || {}).sentences || [];
  const crossover = (sweep.crossover || {}).statement || "";
  const problems = [];
  if (sweep.name !== "upstream_delay" || points.map((p) => p.value).join() !== "0ms,20ms")
    problems.push("sweep.json does not hold the two values in order");
  if (points.length === 2 && points[1].slo !== "p99<=140ms,errors<=1%")
    problems.push("the 20ms value ran under " + points[1].slo + ", not p99<=140ms");
  if (!/^Single run per value, so not a claim: async.s capacity .* (exceeds|does not exceed)/.test(crossover))
    problems.push("no crossover statement: " + crossover);
  if (sentences[1] !== crossover) problems.push("the verdict does not state the crossover second");
  for (const p of points) {
    if (!(p.facts || []).some((f) => f.name === "rss_mb" && f.target === "async"))
      problems.push(p.value + ": no RSS for async");
  }
  console.log(problems.join("\n"));'
while IFS= read -r problem; do
  [ -n "$problem" ] && failures+=("$problem")
done < <(node -e "$check_json" "$work/out/sweep.json" 2>&1)
grep -q "sweepSection(model)" "$work/out/report.html" || failures+=("report.html has no sweep section")
grep -q "<title>loadgen sweep: upstream_delay, sync vs async</title>" "$work/out/report.html" ||
  failures+=("report.html is not titled as a sweep")

if ((${#failures[@]})); then
  printf 'FAIL: %s\n' "${failures[@]}" >&2
  echo "--- stdout" >&2; tail -n 30 "$work/stdout" >&2
  echo "--- stderr" >&2; grep -v '^\[' "$work/stderr" | tail -n 30 >&2
  exit 1
fi
echo "compare --quick --sweep: both values run, sweep.json, crossover in the verdict, report section present"
