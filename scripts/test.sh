#!/usr/bin/env bash
# Runs the whole suite against a fresh throwaway PostgreSQL cluster.
#   scripts/test.sh <cluster dir> <port> [test runner args…]
set -euo pipefail
dir=$1 port=$2
shift 2
scripts/pg.sh start "$dir" "$port" --fresh --fast --tls
trap 'scripts/pg.sh stop "$dir"' EXIT
export GHFE_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
GHFE_TEST_TLS_DIR=$(scripts/pg.sh tls-dir "$dir")
export GHFE_TEST_TLS_DIR
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi
