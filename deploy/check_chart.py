#!/usr/bin/env python3
"""Renders and lints the Helm chart for several value sets and validates
the manifests against the Kubernetes schemas (strict) of two versions.

Needs helm-python-sdk, kubernetes-validate and PyYAML (deploy/check.sh
installs them). Exits non-zero, saying why, on the first problem.
"""
import sys
from pathlib import Path

import helm_python as helm
import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "deploy/helm/ghfe"
VERSIONS = ["1.34.0", "1.37.0"]
MINIMAL = {"secrets": {"webhookSecret": "s", "databaseUrl": "postgres://ghfe@db/runners"}}
VALUE_SETS = {
    "defaults": MINIMAL,
    "README example": yaml.safe_load((ROOT / "deploy/helm/example-values.yaml").read_text()),
    "existing Secret, staging, migrations at start-up": {
        "existingSecret": "ghfe-from-vault",
        "deployment": "staging",
        "migrations": {"job": False},
        "replicaCount": 3,
    },
}


def fail(message):
    sys.exit(f"chart: {message}")


def manifests(values):
    chart = helm.Chart.load(str(CHART))
    chart.validate_schema(values)
    lint = helm.lint(str(CHART), values, strict=True)
    rendered = chart.render(values, name="ghfe", namespace="runners")
    docs = []
    for template, text in sorted(rendered.items()):
        for doc in yaml.safe_load_all(text):
            if doc:
                docs.append((template, doc))
    return lint, docs


def check(name, values):
    lint, docs = manifests(values)
    kinds = {doc["kind"]: doc for _, doc in docs}
    for template, doc in docs:
        if doc["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # CRDs: not in Kubernetes' own schemas; checked below
        for version in VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                fail(f"{name}: {template} is not a valid {doc['kind']} for Kubernetes {version}: {error.message}")
    deployment = kinds["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    security = container["securityContext"]
    expected = {"readOnlyRootFilesystem": True, "runAsNonRoot": True, "allowPrivilegeEscalation": False}
    for key, value in expected.items():
        if security.get(key) != value:
            fail(f"{name}: container securityContext.{key} is not {value}")
    if security["capabilities"]["drop"] != ["ALL"]:
        fail(f"{name}: capabilities are not all dropped")
    probes = (container["livenessProbe"]["httpGet"]["path"], container["readinessProbe"]["httpGet"]["path"])
    if probes != ("/health", "/ready"):
        fail(f"{name}: probes are {probes}")
    if deployment["spec"]["replicas"] < 2:
        fail(f"{name}: fewer than 2 replicas")
    env = {e["name"]: e.get("value") for e in container["env"]}
    if env.get("PROD") not in ("true", "false"):
        fail(f"{name}: PROD is not set")
    if "Ingress" in kinds:
        paths = [(p["path"], p["pathType"]) for r in kinds["Ingress"]["spec"]["rules"] for p in r["http"]["paths"]]
        if paths != [("/", "Exact"), ("/setup", "Prefix")]:
            fail(f"{name}: the Ingress exposes {paths}, not only POST / and /setup")
    if "PrometheusRule" in kinds:
        rules = yaml.safe_load((ROOT / "deploy/prometheus/ghfe-rules.yaml").read_text())
        if kinds["PrometheusRule"]["spec"]["groups"] != rules["groups"]:
            fail(f"{name}: the PrometheusRule differs from deploy/prometheus/ghfe-rules.yaml")
    if "ServiceMonitor" in kinds:
        endpoint = kinds["ServiceMonitor"]["spec"]["endpoints"][0]
        if (endpoint["port"], endpoint["path"]) != ("http", "/metrics"):
            fail(f"{name}: the ServiceMonitor scrapes {endpoint}")
    print(f"chart: {name}: {len(docs)} manifests valid for Kubernetes {', '.join(VERSIONS)} (strict); {sorted(kinds)}")


def refused(name, values):
    try:
        manifests(values)
    except helm.HelmError:
        print(f"chart: {name}: refused, as it should be")
        return
    fail(f"{name}: rendered, but should have been refused")


def main():
    if (CHART / "files/ghfe-rules.yaml").read_text() != (ROOT / "deploy/prometheus/ghfe-rules.yaml").read_text():
        fail("files/ghfe-rules.yaml is not a copy of deploy/prometheus/ghfe-rules.yaml")
    for name, values in VALUE_SETS.items():
        check(name, values)
    refused("no webhook secret and no existing Secret", {"secrets": {"databaseUrl": "postgres://x"}})
    refused("an unknown value", {**MINIMAL, "replicas": 2})


if __name__ == "__main__":
    main()
