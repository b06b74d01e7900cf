# scripts/compare --sweep: one whole comparison per value (compare_once, into OUT/NAME-VALUE), with a
# progress line and ETA before each, then `loadgen sweep` collects them into OUT/sweep.json and
# OUT/report.html. Sourced by scripts/compare after parse_sweep (sweep-values.bash).

# Seconds one value should take: each arm's ramp plus ~5 search probes, per repeat.
sweep_estimate_s() {
  local ramp=$rate
  [[ $preset == study || $mode == closed ]] && ramp=$users
  awk -F: -v repeat="$repeat" -v step="${step_duration%s}" \
    '{ steps = int(($2 - $1) / $3) + 1; printf "%d", 2 * repeat * (steps + 5) * step + 10 }' <<<"$ramp"
}

# 125 -> "2m05s"
minutes() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

run_sweep() {
  local n=${#sweep_values[@]} k=0 started=$SECONDS value left_s points=()
  local estimate_s
  estimate_s=$(sweep_estimate_s)
  for value in "${sweep_values[@]}"; do
    k=$((k + 1))
    # Before the first value the estimate; after, the pace so far.
    left_s=$((k == 1 ? estimate_s * n : (SECONDS - started) * (n - k + 1) / (k - 1)))
    echo "compare: sweep $sweep_name = $value (value $k of $n): $(minutes $((SECONDS - started))) so far, about $(minutes "$left_s") left" >&2
    declare -g "$sweep_name=$value"
    apply_delay_slo
    dir=$out/$sweep_name-$value
    compare_once "$(describe); sweep $sweep_name = $value (value $k of $n)"
    points+=("$value=$dir")
  done
  echo "compare: sweep $sweep_name: $n values in $(minutes $((SECONDS - started)))" >&2
  declare -g "$sweep_name=swept (${sweep_values[*]})"
  [[ $sweep_name == upstream_delay && -z $own_slo ]] && slo="p99<=100ms plus the delays each call waits,errors<=1%"
  "$build/bin/loadgen" sweep "$sweep_name" "${points[@]}" --out="$out" \
    --description="$(describe); sweep of $sweep_name over ${sweep_values[*]}"
}
