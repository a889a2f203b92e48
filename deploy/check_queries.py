#!/usr/bin/env python3
"""Checks the PromQL of the Grafana dashboard and the alert rules.

Prints a Prometheus rules file with one recording rule per dashboard query
(Grafana's variables replaced), for `promtool check rules` to parse, and
fails when a query or an alert names a metric ghfe does not export, or a
histogram bucket of a metric that is not a histogram.

    deploy/check_queries.py deploy/grafana/ghfe.json deploy/prometheus/ghfe-rules.yaml
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The metrics ghfe describes, and those exported as histograms (with buckets).
KNOWN = set(re.findall(r'"(ghfe_[a-z_]+)"', (ROOT / "src/metric_help.rs").read_text()))
BUCKETED = set(re.findall(r'Matcher::Full\("(ghfe_[a-z_]+)"', (ROOT / "src/telemetry.rs").read_text()))
VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h", "$job": "ghfe"}


def problems_of(expr, where):
    found = []
    for name in re.findall(r"\b(ghfe_[a-z_]+)\b", expr):
        base = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and name[: -len(suffix)] in KNOWN:
                base = name[: -len(suffix)]
                if suffix == "_bucket" and base not in BUCKETED:
                    found.append(f"{where}: {base} has no buckets (it is exported as a summary)")
        if base not in KNOWN:
            found.append(f"{where}: ghfe exports no metric {name}")
    return found


def main(dashboard, rules):
    problems = []
    board = json.loads(Path(dashboard).read_text())
    lines = ["groups:", "  - name: dashboard-queries", "    rules:"]
    count = 0
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for variable, value in VARIABLES.items():
                expr = expr.replace(variable, value)
            if "$" in expr:
                problems.append(f"panel {panel['title']!r}: unknown variable in {expr}")
            problems += problems_of(expr, f"panel {panel['title']!r}")
            count += 1
            lines.append(f"      - record: dashboard:query:{count}")
            lines.append(f"        expr: {json.dumps(expr)}")
    for expr in re.findall(r"expr: \|?\n?((?:.|\n)*?)(?=\n        for:)", Path(rules).read_text()):
        problems += problems_of(expr, "alert rules")
    if count == 0:
        problems.append("the dashboard has no queries")
    if problems:
        sys.exit("\n".join(problems))
    print("\n".join(lines))
    print(f"{count} dashboard queries, all metrics known", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:3])
