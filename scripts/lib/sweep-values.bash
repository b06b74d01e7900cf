# scripts/compare --sweep NAME=V1,V2,...: checks the knob and its values before anything starts.
# Sourced by scripts/compare, whose variables it reads (preset, mode, given, set_flags) and sets
# (sweep_name, sweep_values, and mode for think_time); usage_error prints one line and exits 2.

# The knobs a sweep may vary, and what their values are.
declare -A sweep_kind=([upstream_delay]=duration [think_time]=duration [items]=count [pool]=count
  [max_threads]=count)

# parse_sweep NAME=V1,V2,...
parse_sweep() {
  [[ $1 == ?*=?* ]] || usage_error "--sweep needs NAME=V1,V2,... (e.g. upstream_delay=0,20,50ms), got \"$1\""
  sweep_name=${1%%=*}
  local list=${1#*=}
  [[ -n ${sweep_kind[$sweep_name]:-} ]] ||
    usage_error "unknown sweep name \"$sweep_name\" (upstream_delay, items, pool, think_time or max_threads)"
  check_sweep_knob
  local -a raw
  IFS=, read -r -a raw <<<"$list"
  [[ $list != *, && $list != ,* && $list != *,,* ]] || usage_error "--sweep $sweep_name: an empty value in \"$list\""
  if [ "${sweep_kind[$sweep_name]}" = duration ]; then
    sweep_durations "${raw[@]}"
  else
    sweep_counts "${raw[@]}"
  fi
  local -A seen=()
  local value
  for value in "${sweep_values[@]}"; do
    [[ -z ${seen[$value]:-} ]] || usage_error "--sweep $sweep_name: $value is given twice"
    seen[$value]=1
  done
}

# The swept knob must not be fixed by the preset nor set by its own flag too.
check_sweep_knob() {
  local flag
  if [ "$preset" = study ] && [[ $sweep_name == items || $sweep_name == think_time ]]; then
    usage_error "--preset study fixes $sweep_name (800 items, 1 s think time); sweep it with --preset pooled"
  fi
  for flag in "${set_flags[@]}"; do
    [ "$flag" != "--$sweep_name" ] || usage_error "--$sweep_name and --sweep $sweep_name: give one"
  done
  if [ "$sweep_name" = think_time ]; then
    for flag in "${given[@]}"; do
      [[ $flag != --open && $flag != --rate ]] ||
        usage_error "--sweep think_time runs closed-loop users (think time is their pause); leave $flag out"
    done
    mode=closed
  fi
}

# Durations: 20ms, 1.5s, 250us; a bare number takes the unit of the list's last value.
sweep_durations() {
  local unit value
  unit=$(sed -nE 's/^[0-9]+(\.[0-9]+)?(us|ms|s)$/\2/p' <<<"${*: -1}")
  [ -n "$unit" ] || usage_error "--sweep $sweep_name: give the last value a unit (us, ms or s), e.g. 0,20,50ms"
  for value in "$@"; do
    [[ $value =~ ^[0-9]+(\.[0-9]+)?$ ]] && value=$value$unit
    [[ $value =~ ^[0-9]+(\.[0-9]+)?(us|ms|s)$ ]] ||
      usage_error "--sweep $sweep_name: \"$value\" is not a duration (20ms, 1.5s)"
    sweep_values+=("$value")
  done
}

# Counts: whole numbers within what the service or table accepts.
sweep_counts() {
  local value least=1 most=10000
  [ "$sweep_name" = max_threads ] && least=2
  [ "$sweep_name" = items ] && most=10000000
  for value in "$@"; do
    [[ $value =~ ^[1-9][0-9]{0,7}$ ]] && ((value >= least && value <= most)) ||
      usage_error "--sweep $sweep_name: \"$value\" is not a whole number from $least to $most"
    sweep_values+=("$value")
  done
}
