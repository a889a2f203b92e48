#!/usr/bin/env bash
# `make bench`: ghfe beside PostgreSQL's own ceiling for ghfe's transaction.
#
# Starts a durable PostgreSQL (fsync on) in .local/pg-bench and a release
# build of ghfe (configured with the predecessor's variables, as an operator
# runs it). The ceiling is pgbench running bench/ceiling/*.sql: one delivery
# per transaction, with and without a pg_notify (the predecessor's design;
# see bench/ceiling/README.md).
# Then, for the queued and lifecycle scenarios at each concurrency: both
# ceilings, then the load generator against ghfe, tables emptied in between.
# Then more c=32 pairs, for the targets' medians (see targets.rs).
# Writes bench/results/<date>.json and .svg (<date>-2 and on for later runs
# that day) and prints the targets.
# Loopback only; about 8 minutes with the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION_S:-8}
WARMUP=${BENCH_WARMUP_S:-1}
CONCURRENCIES=${BENCH_CONCURRENCIES:-"1 8 32 64"}
SCENARIOS=${BENCH_SCENARIOS:-"queued lifecycle"}
TARGET_ROUNDS=${BENCH_TARGET_ROUNDS:-4}  # extra c=32 rounds for the targets' medians
PG_DIR=.local/pg-bench
PG_PORT=${BENCH_PG_PORT:-55434}
GHFE_PORT=${BENCH_GHFE_PORT:-18080}
SECRET=bench-secret
DATE=$(date -u +%Y-%m-%d)
# A second run on one day gets its own name instead of replacing the first.
NAME=$DATE
for n in $(seq 2 99); do
  [ -e "bench/results/$NAME.json" ] || break
  NAME=$DATE-$n
done
WORK=$(mktemp -d)
LINES=$WORK/lines.jsonl

scripts/pg.sh start "$PG_DIR" "$PG_PORT" --fresh
URL=$(scripts/pg.sh url "$PG_DIR" "$PG_PORT" ghfe_bench)
PGBIN=$(scripts/pg.sh bin)
cargo build --release --quiet --bin ghfe -p ghfe
cargo build --release --quiet -p ghfe-loadgen
LOADGEN=target/release/ghfe-loadgen

export PROD=false POSTGRES_URL=$URL GHAPP_WEBHOOK_SECRET=$SECRET PORT=$GHFE_PORT
unset GHFE_ENV
sql() { "$PGBIN/psql" -q -X -At "$URL" -c "$1"; }
GHFE_PID=
start_ghfe() {
  if curl -s -o /dev/null "http://127.0.0.1:$GHFE_PORT/health"; then
    echo "port $GHFE_PORT is already in use: stop what listens there (or set BENCH_GHFE_PORT)" >&2
    exit 1
  fi
  target/release/ghfe serve >>"$WORK/ghfe.log" 2>&1 &
  GHFE_PID=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$GHFE_PORT/ready" >/dev/null && return; sleep 0.2; done
  echo "ghfe did not start:" >&2
  cat "$WORK/ghfe.log" >&2
  exit 1
}
stop_ghfe() {
  [ -n "$GHFE_PID" ] || return 0
  kill "$GHFE_PID" 2>/dev/null || true
  wait "$GHFE_PID" 2>/dev/null || true
  GHFE_PID=
}
cleanup() {
  stop_ghfe
  scripts/pg.sh stop "$PG_DIR"
  rm -rf "$WORK"
}
trap cleanup EXIT
reset_tables() { sql "TRUNCATE staging.jobs, staging.installation_events; CHECKPOINT"; }
run_ghfe() { # scenario concurrency duration max-rate
  "$LOADGEN" run --address "127.0.0.1:$GHFE_PORT" --secret "$SECRET" --scenario "$1" --concurrency "$2" \
    --duration-s "$3" --warmup-s "$WARMUP" --max-rate "$4" --database-url "$URL"
}
run_ceiling() { # scenario concurrency notify
  local script per_script out tps latency
  script=bench/ceiling/$1-$([ "$3" = true ] && echo notify || echo plain).sql
  per_script=$([ "$1" = lifecycle ] && echo 3 || echo 1)
  out=$(PGOPTIONS="-c search_path=staging" "$PGBIN/pgbench" -n -M prepared -h 127.0.0.1 -p "$PG_PORT" \
    -U postgres -c "$2" -j "$(($2 < 2 ? $2 : 2))" -T "$DURATION" -f "$script" ghfe_bench 2>&1) \
    || { echo "$out" >&2; return 1; }
  tps=$(echo "$out" | awk '/^tps/ {print $3; exit}')
  latency=$(echo "$out" | awk '/^latency average/ {print $4; exit}')
  printf '{"kind":"ceiling","scenario":"%s","concurrency":%s,"notify":%s,"scripts_per_s":%.1f,"deliveries_per_s":%.1f,"latency_avg_ms":%.3f}\n' \
    "$1" "$2" "$3" "$tps" "$(echo "$tps * $per_script" | bc -l)" "$(echo "$latency / $per_script" | bc -l)"
}

target/release/ghfe migrate >/dev/null

# One job's lifecycle first, for the stored payload sizes.
start_ghfe
WARMUP=0 run_ghfe lifecycle 1 0.2 5 >/dev/null
stop_ghfe

PAYLOAD_BYTES=$(sql "SELECT string_agg(event || '=' || octet_length(payload::text), ' ') FROM (SELECT DISTINCT ON (event) event, payload FROM staging.installation_events) e")
reset_tables

start_ghfe
sleep 1
RSS_IDLE=$(awk '/VmRSS/ {print $2}' "/proc/$GHFE_PID/status")
for scenario in $SCENARIOS; do
  for c in $CONCURRENCIES; do
    for notify in false true; do
      reset_tables
      run_ceiling "$scenario" "$c" "$notify" | tee -a "$LINES"
    done
    reset_tables
    run_ghfe "$scenario" "$c" "$DURATION" "$([ "$c" = 1 ] && echo 3000 || echo 9000)" | tee -a "$LINES"
  done
done
# The targets compare ghfe with the ceiling at c=32. Throughput here drifts
# by tens of percent within minutes, so those pairs are measured in more
# rounds, back to back and in alternating order; the report takes medians.
tag() { sed "s/^{/{\"round\":$1,/"; }
if [[ " $CONCURRENCIES " == *" 32 "* ]]; then
  for round in $(seq "$TARGET_ROUNDS"); do
    for scenario in $SCENARIOS; do
      for which in $([ $((round % 2)) = 1 ] && echo "ghfe ceiling" || echo "ceiling ghfe"); do
        reset_tables
        if [ "$which" = ghfe ]; then
          run_ghfe "$scenario" 32 "$DURATION" 9000 | tag "$round" | tee -a "$LINES"
        else
          run_ceiling "$scenario" 32 false | tag "$round" | tee -a "$LINES"
        fi
      done
    done
  done
fi
RSS_PEAK=$(awk '/VmHWM/ {print $2}' "/proc/$GHFE_PID/status")

mkdir -p bench/results
MACHINE="$(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $("$PGBIN/postgres" --version), stored payload bytes: $PAYLOAD_BYTES"
"$LOADGEN" report --lines "$LINES" --out "bench/results/$NAME.json" --svg "bench/results/$NAME.svg" \
  --rss-idle-kb "$RSS_IDLE" --rss-peak-kb "$RSS_PEAK" --machine "$MACHINE"
echo "wrote bench/results/$NAME.json and bench/results/$NAME.svg"
