#!/usr/bin/env bash
# `make bench-reads`: the operator reads against a delivery log of
# BENCH_READ_ROWS rows (10 million by default) and BENCH_READ_JOBS jobs over
# 90 days (1 million), through ghfe's HTTP API, each the median of 5 runs
# after one warm-up. Writes
# bench/results/reads-<date>T<time>.json and prints a table. The target is 50 ms
# for each read. Seeding 10 million rows takes a few minutes and about
# 6 GB of disk.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${BENCH_READ_ROWS:-10000000}
JOBS=${BENCH_READ_JOBS:-1000000}
PG_DIR=.local/pg-reads PG_PORT=${BENCH_READS_PG_PORT:-55438} PORT=${BENCH_READS_PORT:-18098}
TOKEN=bench-reads-token
scripts/pg.sh start "$PG_DIR" "$PG_PORT" >/dev/null
URL=$(scripts/pg.sh url "$PG_DIR" "$PG_PORT" ghfe_reads)
PGBIN=$(scripts/pg.sh bin)
# GHFE_BIN runs another build (to compare two); by default this tree's.
GHFE=${GHFE_BIN:-target/release/ghfe}
[ -n "${GHFE_BIN:-}" ] || cargo build --release --quiet --bin ghfe -p ghfe
export PROD=false POSTGRES_URL=$URL GHAPP_WEBHOOK_SECRET=bench TRACE_API_SECRET=$TOKEN PORT=$PORT LOGLEVEL=warn
unset GHFE_ENV
"$GHFE" migrate >/dev/null
# seed <table> <rows wanted> <psql variable> <seed file> <tables emptied first>
seed() {
  local have
  have=$("$PGBIN/psql" -X -At "$URL" -c "SELECT count(*) FROM staging.$1")
  [ "$have" = "$2" ] && return
  echo "seeding $2 rows of $1 (was $have)…" >&2
  "$PGBIN/psql" -X -q "$URL" -c "TRUNCATE $5"
  PGOPTIONS="-c search_path=staging -c synchronous_commit=off" \
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -v "$3=$2" "$URL" -f "$4"
}
seed installation_events "$ROWS" rows bench/reads/seed.sql staging.installation_events
seed jobs "$JOBS" jobs bench/reads/seed_jobs.sql \
  "staging.jobs, staging.job_count_days, staging.job_usage_daily, staging.job_queue_daily"
"$GHFE" serve &
PID=$!
trap 'kill $PID 2>/dev/null; scripts/pg.sh stop "$PG_DIR" >/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.2; done
# ghfe counts the passed hours of the log in the background at start.
counted() { "$PGBIN/psql" -X -At "$URL" -c "SELECT count(*) FROM staging.event_count_hours" 2>/dev/null || echo 0; }
days() { "$PGBIN/psql" -X -At "$URL" -c "SELECT count(*) FROM staging.job_count_days" 2>/dev/null || echo 0; }
for _ in $(seq 300); do [ "$(counted)" -ge 720 ] && [ "$(days)" -ge 365 ] && break; sleep 1; done
echo "hours counted: $(counted), days of jobs counted: $(days)" >&2
deep=$("$PGBIN/psql" -X -At "$URL" -c "SELECT id FROM staging.installation_events ORDER BY id LIMIT 1 OFFSET $((ROWS / 2))")
READS=(
  "events, unfiltered|/api/webhooks/events"
  "events, outcome (rare)|/api/webhooks/events?outcome=staging_proxy_failed"
  "events, outcome (common)|/api/webhooks/events?outcome=job_stored"
  "events, repository|/api/webhooks/events?repository=account-7/repo-1207"
  "events, event family|/api/webhooks/events?event=workflow_run"
  "events, event and action|/api/webhooks/events?event=workflow_job.completed"
  "events, account|/api/webhooks/events?account=account-42"
  "events, before an id halfway back|/api/webhooks/events?before=$deep"
  "statistics, 24 hours|/api/webhooks/statistics?hours=24"
  "statistics, 720 hours|/api/webhooks/statistics?hours=720"
  "deliveries page|/deliveries?outcome=ignored_no_label"
  "stats, 12 weeks and 14 days|/stats.json"
  "stats, 52 weeks and 90 days|/stats.json?weeks=52&days=90"
  "stats page|/stats"
  "history, first page|/history.json"
  "history, one account|/history.json?account=account-7"
  "history, last week|/history.json?start=-7d"
)
results=()
printf '%-36s %10s\n' read "median ms"
for entry in "${READS[@]}"; do
  name=${entry%%|*} path=${entry#*|}
  times=()
  curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$path"
  for _ in 1 2 3 4 5; do
    times+=("$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$path")")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
  ms=$(echo "$median * 1000" | bc -l | xargs printf '%.1f')
  printf '%-36s %10s\n' "$name" "$ms"
  results+=("{\"read\":\"$name\",\"path\":\"$path\",\"median_ms\":$ms}")
done
mkdir -p bench/results
out=bench/results/reads-$(date -u +%Y-%m-%dT%H%M).json
printf '{"rows":%s,"machine":"%s CPUs, %s","reads":[%s]}\n' "$ROWS" "$(nproc)" "$("$PGBIN/postgres" --version)" \
  "$(IFS=,; echo "${results[*]}")" > "$out"
echo "wrote $out"
