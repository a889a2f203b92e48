#!/usr/bin/env bash
# `make e2e`: the operator pages in a real browser. Starts a throwaway
# PostgreSQL with sample jobs and workers, a fake GitHub on loopback
# (tests/e2e/fake_github.py), and ghfe; loads /usage, /history, /stats,
# /deliveries and one delivery (with the development trace token as Basic
# credentials, as a browser sends it) and each setup outcome in headless Chromium; fails when a
# page lacks its expected text. Each page is shot at 1280 px and as a phone
# (390 px) shows it, into .local/screenshots/ or $E2E_SHOTS
# (E2E_SHOTS=docs/screenshots refreshes the README's).
#   scripts/e2e.sh <cluster dir> <port>
set -euo pipefail
dir=$1 port=$2
ghfe_port=${E2E_GHFE_PORT:-18090}
github_port=${E2E_GITHUB_PORT:-18091}
shots=${E2E_SHOTS:-.local/screenshots}
work=$(mktemp -d)
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/pg.sh stop "$dir" || true
  rm -rf "$work"
}
trap cleanup EXIT

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "e2e: chromium not found; installing Debian's chromium with apt-get" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  browser=$(command -v chromium)
fi

scripts/pg.sh start "$dir" "$port" --fresh --fast
url=$(scripts/pg.sh url "$dir" "$port" ghfe)
cargo build --quiet
bin=target/debug/ghfe

export GHFE_ENV=development POSTGRES_URL=$url
export GHFE__SERVER__PORT=$ghfe_port GHFE__SERVER__HOST=127.0.0.1
export GHFE__GITHUB__API_URL=http://127.0.0.1:$github_port GHFE__GITHUB__TIMEOUT_MS=3000
export GHFE__GITHUB__APPS__ORG__ID=1 GHFE__GITHUB__APPS__PERSONAL__ID=2
export GHFE__GITHUB__APPS__ORG__NAME="RISE RISC-V Runners"
export GHFE__GITHUB__APPS__PERSONAL__NAME="RISE RISC-V Runners (personal)"
export GHFE__GITHUB__APPS__ORG__INSTALL_URL=https://github.com/apps/rise-risc-v-runners/installations/new
export GHFE__GITHUB__APPS__PERSONAL__INSTALL_URL=https://github.com/apps/rise-risc-v-runners-personal/installations/new
GHAPP_ORG_PRIVATE_KEY=$(cat tests/fixtures/app-private-key.pkcs1.pem)
GHAPP_PERSONAL_PRIVATE_KEY=$(cat tests/fixtures/app-private-key.pkcs8.pem)
export GHAPP_ORG_PRIVATE_KEY GHAPP_PERSONAL_PRIVATE_KEY
export LOGLEVEL=warn

$bin migrate >/dev/null
"$(scripts/pg.sh bin)/psql" -q -X "$url" -v ON_ERROR_STOP=1 -f tests/e2e/sample_rows.sql

python3 tests/e2e/fake_github.py "$github_port" &
pids+=($!)
$bin serve >"$work/ghfe.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$ghfe_port/ready" >/dev/null && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$ghfe_port/ready" >/dev/null || { cat "$work/ghfe.log"; exit 1; }
# Two real deliveries, signed and posted as GitHub would, join the sample rows.
$bin send tests/fixtures/workflow_job.queued.json --event workflow_job >/dev/null
$bin send tests/fixtures/workflow_job.queued.with-deployment.json --event workflow_job >/dev/null

chrome() {
  "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --disable-background-networking --disable-component-update --disable-sync \
    --no-first-run --hide-scrollbars --user-data-dir="$work/profile" "$@" 2>/dev/null
}

mkdir -p "$shots"
failures=0
base="http://127.0.0.1:$ghfe_port"
# The trace token of config/development.yaml, as a browser's Basic credentials.
traced="http://on-call:development-trace-secret@127.0.0.1:$ghfe_port"
# page <screenshot name> <url> <expected text>…
page() {
  local name=$1 url=$2 dom
  shift 2
  dom=$(chrome --dump-dom "$url" || true)
  for expected in "$@"; do
    if ! grep -qF -- "$expected" <<<"$dom"; then
      echo "e2e: FAIL ${url#*127.0.0.1:$ghfe_port} lacks: $expected (page in $shots/$name.failed.html)" >&2
      printf '%s\n' "$dom" >"$shots/$name.failed.html"
      failures=$((failures + 1))
      return
    fi
  done
  chrome --window-size=1280,900 --screenshot="$shots/$name.png" "$url" >/dev/null
  chrome --window-size=390,844 --screenshot="$shots/$name-phone.png" "$url" >/dev/null
  echo "e2e: ok   ${url#*127.0.0.1:$ghfe_port} → $shots/$name.png, $name-phone.png"
}

page usage "$base/usage" "<h1>Usage</h1>" "riseproject-dev" "cloudv10x-jupiter" "octo-org" \
  "runs/906/job/7006" "runner-jupiter-2" "reason: ImagePullBackOff" "ubuntu-24.04-riscv64"
page history "$base/history?per_page=10&end=-1d" "Page 1 of 37" "rel=\"next\"" "ffmpeg"
page history-filtered "$base/history?account=riseproject-dev&pool=scw-em-rv1&per_page=20" \
  "riscv-builds/kernel" "Page 1 of"
page stats "$base/stats" "<h1>Stats</h1>" "Runner minutes per week" "other accounts (3)" \
  "Queue time per pool" "<h3>cloudv10x-jupiter</h3>" "<polyline class=\"p99\""
page deliveries "$traced/deliveries" "<h1>Deliveries</h1>" "job_stored" "ignored_no_label"
page deliveries-ignored "$traced/deliveries?outcome=ignored_no_label" "riseproject-dev/llama.cpp"
page delivery "$traced/deliveries/2" "<h1>Delivery 2</h1>" "Job 289782451 stored." "The job on GitHub" \
  '"workflow_job": {'

page setup-installed "$base/setup/org?installation_id=1001" "All set, riseproject-dev!" "runs-on: ubuntu-24.04-riscv"
page setup-wrong-type "$base/setup/org?installation_id=1002" "&lt;script&gt;alert(1)&lt;/script&gt; is a personal account" "Install the RISE RISC-V Runners (personal)"
page setup-wrong-app "$base/setup/personal?installation_id=4242" "Installation not found for this app" "rise-risc-v-runners/installations/new"
page setup-upstream-error "$base/setup/org?installation_id=1500" "Something went wrong"
page setup-missing "$base/setup/org" "Missing installation id"
# Without the token the page asks for it (the browser would prompt).
status=$(curl -s -o /dev/null -w '%{http_code}' "$base/deliveries")
if [ "$status" != 401 ]; then
  echo "e2e: FAIL /deliveries without a token answered $status, not 401" >&2
  failures=$((failures + 1))
fi

if [ "$failures" -gt 0 ]; then
  echo "e2e: $failures page(s) failed" >&2
  exit 1
fi
echo "e2e: every page showed its expected text"
