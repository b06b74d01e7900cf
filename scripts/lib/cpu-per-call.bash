# scripts/ceilings' first part: CPU per call, by process, at fixed loads, against the floor of each
# gRPC API and the references measured in the same run (sourced by scripts/ceilings, which defines
# bin, out, uri, db_pid, duration, pool, connections, streams, log, start_service, stop_all,
# pgbench_script_file and $out/get-item-25.bin).
#
# Configurations, each measured at every load it applies to, interleaved (all of them at one load,
# then the next load), with every server started once and idle while the others are measured:
#   floor_sync, floor_callback   bench/floor_*: GetItem answered from memory, nothing else
#   sync_memory, async_memory    the services with --serve_from_memory
#   sync, async                  the services with the database
#   pgbench                      PostgreSQL alone: the services' own statement, -R at the same rate,
#                                as many clients as the services' pool
#   h2load                       the cheapest HTTP/2 client, against floor_callback, same rate,
#                                same connections x streams as loadgen
#   floor_client                 bench/floor_client: gRPC's callback client sending GetItem in
#                                open loop and nothing else, against floor_callback, same rate
#                                and connections (open loop only)
# Loads: open-loop GetItem at 1,000, 3,000 and 10,000 calls/s, ListItems at 400/s (the floors at
# GetItem 400/s, for async_vs_sync's bound), and closed-loop saturation (64 users, no think time;
# h2load unthrottled with the same concurrency, pgbench at the rate each service reached).
#
# Each measurement: a step of duration + 2 s, the first 2 s left out; CPU from /proc by the same
# sampler as loadgen's --cpu_pid (`loadgen cpu` for pgbench, h2load and floor_client), divided by
# the successful calls of the window. Writes $out/cpu/measurements.json and sets cpu_rows (JSON,
# the targets' rows) for ceilings.json.

cpu_configs=(floor_sync floor_callback sync_memory async_memory sync async)
declare -A cpu_address cpu_pid
cpu_measurements=()

# cpu_start_servers: every configuration's server, on free loopback ports.
cpu_start_servers() {
  local config binary flags
  for config in "${cpu_configs[@]}"; do
    flags=(--db_pool_size="$pool")
    case $config in
      floor_*) binary=$config flags=() ;;
      *_memory) binary=${config%_memory}_service flags+=(--serve_from_memory) ;;
      *) binary=${config}_service ;;
    esac
    start_service "cpu-$config" "$binary" "${flags[@]}"
    cpu_address[$config]=$address cpu_pid[$config]=$pid
  done
}

# cpu_record CONFIG LOAD SCENARIO CALLS_PER_S VALID CLIENT_JSON SERVER_JSON DB_JSON [FAILED]: one
# measurement; each *_JSON is a ProcessUse ({cpu_s, context_switches}) or null, CALLS_PER_S the
# successful calls per second of the window, whose length is $duration, FAILED its calls that did
# not end OK.
cpu_record() {
  cpu_measurements+=("$(jq -cn --arg config "$1" --arg load "$2" --arg scenario "$3" \
    --argjson rate "$4" --argjson valid "$5" --argjson client "$6" --argjson server "$7" \
    --argjson db "$8" --argjson failed "${9:-0}" --argjson seconds "$duration" '
    def per_call(use): if use == null or $rate <= 0 then null
      else {us: (use.cpu_s * 1e6 / ($rate * $seconds) * 10 | round / 10),
            switches: ((use.context_switches // 0) / ($rate * $seconds) * 100 | round / 100)} end;
    {config: $config, load: $load, scenario: $scenario, calls_per_s: ($rate | round), failed: $failed, valid: $valid,
     client: per_call($client), server: per_call($server), db: per_call($db)}')")
}

# cpu_loadgen CONFIG LOAD SCENARIO LOAD_FLAGS...: loadgen drives CONFIG's server.
cpu_loadgen() {
  local config=$1 load=$2 scenario=$3 dir
  shift 3
  dir=$out/cpu/$config-${load//[^a-z0-9]/_}
  "$bin/loadgen" --target="$config=${cpu_address[$config]}" --scenario="$scenario" \
    --step_duration="$((duration + 2))s" --warmup=2s --stop_on_errors=-1 \
    --channels="$connections" --cpu_pid="$config=${cpu_pid[$config]}" --cpu_pid=db="$db_pid" \
    --out="$dir" "$@" >"$dir.log" 2>&1 || { log "loadgen against $config failed:"; cat "$dir.log" >&2; exit 1; }
  local step
  step=$(jq -c '.targets[0].steps[0]' "$dir/results.json")
  cpu_record "$config" "$load" "$scenario" \
    "$(jq '(.ok | tonumber) / .duration_s' <<<"$step")" "$(jq '.valid // false' <<<"$step")" \
    "$(jq -c '.processes.loadgen // null' <<<"$step")" \
    "$(jq -c --arg c "$config" '.processes[$c] // null' <<<"$step")" \
    "$(jq -c '.processes.db // null' <<<"$step")" \
    "$(jq '(.requests | tonumber) - (.ok | tonumber)' <<<"$step")"
}

# cpu_sample NAME=PID...: `loadgen cpu` over the window, after the same 2 s warm-up; pgbench,
# h2load and floor_client run a second longer, so they are still there when the window ends.
cpu_sample() {
  "$bin/loadgen" cpu "$@" --warmup=2s --step_duration="${duration}s"
}

# cpu_pgbench LOAD KIND [RATE [CONFIG]]: pgbench running the KIND (get|list) statement, throttled
# to RATE queries/s when given, recorded as CONFIG (default pgbench).
cpu_pgbench() {
  local load=$1 kind=$2 rate=${3:-} config=${4:-pgbench} log script sample tps
  log=$out/cpu/$config-${load//[^a-z0-9]/_}.log
  script=$(pgbench_script_file "$kind")
  pgbench -n -M prepared -c "$pool" -j "$(nproc)" ${rate:+-R "$rate"} -T "$((duration + 3))" \
    -f "$script" "$uri" >"$log" 2>&1 &
  local bench=$!
  sample=$(cpu_sample client="$bench" db="$db_pid") || { wait "$bench"; cat "$log" >&2; exit 1; }
  wait "$bench" || { log "pgbench failed:"; cat "$log" >&2; exit 1; }
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$log" | tail -n 1)
  [ -n "$tps" ] || { log "no tps in $log"; cat "$log" >&2; exit 1; }
  cpu_record "$config" "$load" "$kind" "$tps" true "$(jq -c '.processes.client' <<<"$sample")" \
    null "$(jq -c '.processes.db' <<<"$sample")"
}

# cpu_h2load LOAD [RATE]: h2load sending GetItem to floor_callback, RATE calls/s in all when given.
cpu_h2load() {
  local load=$1 rate=${2:-} log sample rps
  log=$out/cpu/h2load-${load//[^a-z0-9]/_}.log
  h2load -D "$((duration + 3))" -c "$connections" -m "$streams" \
    ${rate:+--rps="$((rate / connections))"} \
    -H 'content-type: application/grpc' -H 'te: trailers' -d "$out/get-item-25.bin" \
    "http://${cpu_address[floor_callback]}/items.v1.ItemService/GetItem" >"$log" 2>&1 &
  local client=$!
  sample=$(cpu_sample client="$client" server="${cpu_pid[floor_callback]}") ||
    { wait "$client"; cat "$log" >&2; exit 1; }
  wait "$client" || { log "h2load failed:"; cat "$log" >&2; exit 1; }
  grep -q ' 0 failed, 0 errored' "$log" || { log "h2load saw failures:"; cat "$log" >&2; exit 1; }
  rps=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$log")
  cpu_record h2load "$load" get "$rps" true "$(jq -c '.processes.client' <<<"$sample")" \
    "$(jq -c '.processes.server' <<<"$sample")" null
}

# cpu_floor_client LOAD RATE: bench/floor_client sending GetItem to floor_callback at RATE calls/s.
cpu_floor_client() {
  local load=$1 rate=$2 log sample
  log=$out/cpu/floor_client-${load//[^a-z0-9]/_}.log
  "$bin/floor_client" --target="${cpu_address[floor_callback]}" --rate="$rate" \
    --duration="$((duration + 3))s" --channels="$connections" >"$log" 2>&1 &
  local client=$!
  sample=$(cpu_sample client="$client" server="${cpu_pid[floor_callback]}") ||
    { wait "$client"; cat "$log" >&2; exit 1; }
  wait "$client" || { log "floor_client failed:"; cat "$log" >&2; exit 1; }
  cpu_record floor_client "$load" get "$rate" true "$(jq -c '.processes.client' <<<"$sample")" \
    "$(jq -c '.processes.server' <<<"$sample")" null
}

# cpu_at_load LOAD SCENARIO RATE: every configuration at one open-loop rate (RATE calls/s of
# SCENARIO; the floors and the services from memory answer GetItem only, so for ListItems the
# floors run GetItem at that rate and the services from memory sit out, as do h2load and
# floor_client).
cpu_at_load() {
  local load=$1 scenario=$2 rate=$3 config
  log "CPU per call at $load: ${cpu_configs[*]}, pgbench, h2load, floor_client"
  for config in "${cpu_configs[@]}"; do
    case $config in
      floor_*) cpu_loadgen "$config" "$load" get --rate="$rate" ;;
      *_memory) [ "$scenario" = get ] && cpu_loadgen "$config" "$load" get --rate="$rate" ;;
      *) cpu_loadgen "$config" "$load" "$scenario" --rate="$rate" ;;
    esac
  done
  cpu_pgbench "$load" "$scenario" "$rate"
  if [ "$scenario" = get ]; then
    cpu_h2load "$load" "$rate"
    cpu_floor_client "$load" "$rate"
  fi
}

# cpu_at_saturation: every configuration with GetItem at closed-loop saturation; h2load with the
# same concurrency, unthrottled; pgbench throttled to the rate each service with the database
# reached (unthrottled, PostgreSQL alone would batch far more than either arm lets it).
cpu_at_saturation() {
  local load="GetItem, closed loop, $((connections * streams)) users" config rate
  log "CPU per call at $load"
  for config in "${cpu_configs[@]}"; do
    cpu_loadgen "$config" "$load" get --users="$((connections * streams))" --think_time=0s \
      --spawn_rate=10000
  done
  cpu_h2load "$load"
  for config in sync async; do
    rate=$(printf '%s\n' "${cpu_measurements[@]}" |
      jq -rs --arg c "$config" --arg l "$load" 'map(select(.config == $c and .load == $l))[0].calls_per_s')
    cpu_pgbench "$load" get "$rate" "pgbench_at_$config"
  done
}

# cpu_rows_from MEASUREMENTS_FILE: the rows that carry targets, at every load where both sides
# were measured.
cpu_rows_from() {
  jq -c '
    def m($c; $l): map(select(.config == $c and .load == $l)) | first;
    # A row (a null target: information, nothing to hold), with a note naming the measurements
    # behind it that had failed calls or an invalid step (a load past that configuration'"'"'s
    # capacity: its figure is per successful call).
    def row($id; $l; $ours; $ref; $target; $behind):
      if $ours == null or $ref == null or $ref == 0 then empty
      else {id: $id, load: $l, ours_us: ($ours * 10 | round / 10),
            reference_us: ($ref * 10 | round / 10),
            ratio: ($ours / $ref * 100 | round / 100), target: $target}
        + (if $target == null then {} else {holds: ($ours / $ref <= $target)} end)
        + ([$behind[] | select(. != null and (.failed > 0 or .valid == false))
            | "\(.config): \(.failed) failed\(if .valid then "" else ", step invalid" end)"]
           | if length > 0 then {note: join("; ")} else {} end) end;
    def arm($x): if $x == null or $x.server == null then null
      else $x.server.us + ($x.db.us // 0) end;
    def in_order: reduce .[] as $x ([]; if any(.[]; . == $x) then . else . + [$x] end);
    # PostgreSQL alone at the load: pgbench at that rate, or at the rate $arm reached.
    def pgbench_for($arm; $l): m("pgbench"; $l) // m("pgbench_at_" + $arm; $l);
    . as $all | [map(.load) | in_order[] as $l |
      ($all | m("floor_sync"; $l)) as $fs | ($all | m("floor_callback"; $l)) as $fc |
      ($all | m("sync_memory"; $l)) as $sm | ($all | m("async_memory"; $l)) as $am |
      ($all | m("sync"; $l)) as $s | ($all | m("async"; $l)) as $a |
      ($all | m("h2load"; $l)) as $h2 | ($all | m("floor_client"; $l)) as $fcl |
      ($all | pgbench_for("async"; $l)) as $pga | ($all | pgbench_for("sync"; $l)) as $pgs |
      row("sync_memory_vs_floor"; $l; $sm.server.us; $fs.server.us; 1.10; [$sm, $fs]),
      row("async_memory_vs_floor"; $l; $am.server.us; $fc.server.us; 1.10; [$am, $fc]),
      row("postgres_async_vs_pgbench"; $l; $a.db.us; $pga.db.us; 0.80; [$a, $pga]),
      row("postgres_sync_vs_pgbench"; $l; $s.db.us; $pgs.db.us; 1.10; [$s, $pgs]),
      row("loadgen_vs_h2load"; $l; $fc.client.us; $h2.client.us; 2.0; [$fc, $h2]),
      row("loadgen_vs_floor_client"; $l; $fc.client.us; $fcl.client.us; 1.25; [$fc, $fcl]),
      row("floor_client_vs_h2load"; $l; $fcl.client.us; $h2.client.us; null; [$fcl, $h2]),
      row("async_vs_sync"; $l; arm($a); arm($s);
          ([1.0, (if $fs.server.us > 0 then $fc.server.us / $fs.server.us else 1.0 end)] | max
           | . * 100 | round / 100); [$a, $s])]' "$1"
}

# cpu_per_call_part: the whole first part; leaves the servers stopped.
cpu_per_call_part() {
  mkdir -p "$out/cpu"
  cpu_start_servers
  cpu_at_load "GetItem 1,000/s" get 1000
  cpu_at_load "GetItem 3,000/s" get 3000
  cpu_at_load "GetItem 10,000/s" get 10000
  cpu_at_load "ListItems 400/s" list 400
  cpu_at_saturation
  stop_all
  printf '%s\n' "${cpu_measurements[@]}" | jq -s . >"$out/cpu/measurements.json"
  cpu_rows=$(cpu_rows_from "$out/cpu/measurements.json")
}

# cpu_table: the rows and the measurements behind them, as text.
cpu_table() {
  echo "CPU per successful call, µs, by process (context switches per call in brackets):"
  jq -r '.[] | [.load, .config, (.calls_per_s | tostring), (if .valid then "" else "invalid" end) + (if .failed > 0 then " \(.failed) failed" else "" end),
      (.client | if . == null then "-" else "\(.us) [\(.switches)]" end),
      (.server | if . == null then "-" else "\(.us) [\(.switches)]" end),
      (.db | if . == null then "-" else "\(.us) [\(.switches)]" end)] | @tsv' \
    "$out/cpu/measurements.json" |
    awk -F'\t' 'BEGIN {printf "%-36s %-15s %8s %-18s %16s %16s %16s\n", "load", "config", "calls/s", "", "client", "server", "PostgreSQL"}
                {printf "%-36s %-15s %8s %-18s %16s %16s %16s\n", $1, $2, $3, $4, $5, $6, $7}'
  echo
  echo "Targets (ratio = ours / reference, µs per call):"
  jq -r '.[] | [.id, .load, (.ours_us | tostring), (.reference_us | tostring), (.ratio | tostring),
      (if .target == null then "-" else "<= " + (.target | tostring) end),
      (if .target == null then "information" elif .holds then "holds" else "DOES NOT HOLD" end) + (if .note then " (\(.note))" else "" end)] | @tsv' \
    <<<"$cpu_rows" |
    awk -F'\t' 'BEGIN {printf "%-26s %-36s %9s %9s %6s %7s %s\n", "id", "load", "ours", "reference", "ratio", "target", ""}
                {printf "%-26s %-36s %9s %9s %6s %7s %s\n", $1, $2, $3, $4, $5, $6, $7}'
}
