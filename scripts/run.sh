#!/usr/bin/env bash
# `make run`: migrate, explain how to send a delivery, then serve.
#   scripts/run.sh <database url>
set -euo pipefail
export GHFE_ENV=development POSTGRES_URL=$1
bin=target/debug/ghfe
$bin migrate
cat <<TXT

  ghfe (development) on http://127.0.0.1:8080 — database $POSTGRES_URL
  In another terminal, send GitHub's example job as GitHub would:

    $bin send tests/fixtures/workflow_job.queued.json --event workflow_job

  then look at what was stored:

    psql $POSTGRES_URL -c 'SELECT job_id, status, k8s_pool, k8s_image FROM staging.jobs'
    psql $POSTGRES_URL -c 'SELECT id, event, outcome, delivery_id FROM staging.installation_events'
    curl -H 'Authorization: Bearer development-trace-secret' http://127.0.0.1:8080/trace/job/289782451

  Ctrl-C stops ghfe; \`make db-stop\` stops PostgreSQL.

TXT
exec $bin serve
