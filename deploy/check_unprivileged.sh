#!/usr/bin/env bash
# Runs ghfe as the image does: an unprivileged UID (nobody), from an empty
# directory it cannot write, with its configuration in a root-owned
# directory, against a real PostgreSQL. Checks /health and /ready, a signed
# delivery, that nothing was written, and lints a real /metrics scrape with
# promtool. No container engine is needed (none runs here).
#   deploy/check_unprivileged.sh <ghfe binary>
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$1
pg_dir=.local/pg-deploy pg_port=${DEPLOY_PG_PORT:-55437} port=${DEPLOY_GHFE_PORT:-18097}
root=$(mktemp -d)
pid=
cleanup() {
  [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
  scripts/pg.sh stop "$pg_dir" >/dev/null 2>&1 || true
  rm -rf "$root"
}
trap cleanup EXIT

scripts/pg.sh start "$pg_dir" "$pg_port" --fresh >/dev/null
url=$(scripts/pg.sh url "$pg_dir" "$pg_port" ghfe_deploy)
mkdir -p "$root/bin" "$root/config" "$root/work"
install -m 0755 "$binary" "$root/bin/ghfe"
cp config/default.yaml config/staging.yaml config/production.yaml "$root/config/"
chmod -R go-w "$root"
chmod 0755 "$root" "$root/work"
run_as=()
if [ "$(id -u)" = 0 ]; then
  run_as=(runuser -u nobody --)
else
  echo "check_unprivileged: not root, so ghfe runs as $(id -un)" >&2
fi
vars=(PATH=/usr/bin:/bin GHFE_CONFIG_DIR="$root/config" PROD=false POSTGRES_URL="$url"
      GHAPP_WEBHOOK_SECRET=deploy-check PORT="$port" LOGLEVEL=warn)
env -i "${vars[@]}" "$root/bin/ghfe" migrate >/dev/null
touch "$root/marker"
(cd "$root/work" && exec "${run_as[@]}" env -i "${vars[@]}" "$root/bin/ghfe" serve) >"$root/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break
  sleep 0.1
done
for path in /health /ready; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$path")
  [ "$code" = 200 ] || { echo "check_unprivileged: $path answered $code"; cat "$root/log"; exit 1; }
done
body='{"zen":"Keep it logically awesome.","hook_id":1}'
signature=sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac deploy-check -r | cut -d' ' -f1)
answer=$(curl -s -w ' %{http_code}' -H 'X-GitHub-Event: ping' -H "X-Hub-Signature-256: $signature" \
  -H 'X-GitHub-Delivery: deploy-check-1' -H 'X-GitHub-Hook-Installation-Target-Id: 1' \
  -H 'Content-Type: application/json' --data "$body" "http://127.0.0.1:$port/")
case $answer in *" 200") ;; *) echo "check_unprivileged: the delivery got: $answer"; exit 1 ;; esac
user=$(ps -o user= -p "$(pgrep -P "$pid" -x ghfe || echo "$pid")" | tr -d ' ')
written=$(find "$root" -newer "$root/marker" ! -name log ! -path "$root" | head -5)
[ -z "$written" ] || { echo "check_unprivileged: ghfe wrote $written"; exit 1; }
curl -s "http://127.0.0.1:$port/metrics" > "$root/metrics"
promtool check metrics < "$root/metrics"
echo "check_unprivileged: ghfe served as $user from an unwritable directory; /health, /ready and a delivery answered 200; nothing written; promtool accepts /metrics ($(grep -c '^# HELP ghfe_' "$root/metrics") described families)"
