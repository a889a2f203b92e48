#!/usr/bin/env python3
"""Writes the pgbench scripts of the database ceiling from ghfe's own statements.

bench/run.sh runs one job's queued, in_progress and completed deliveries
through ghfe with `log_statement = 'all'`; this reads those statements and
their parameters from the PostgreSQL log and writes, into <out dir>:

  queued-plain.sql     ghfe's statement for a queued delivery, one per transaction
  queued-notify.sql    the same with a pg_notify in the transaction (the predecessor's design)
  lifecycle-plain.sql  queued, in_progress and completed, one transaction each
  lifecycle-notify.sql the same, with the pg_notify in the queued transaction

ghfe sends each delivery as the batch statement with one-element arrays. The
job id becomes a random `:job`, delivery ids become unique per client and
job, and every value that contains the job id (the payload, the answers) is
rebuilt from it per transaction, so PostgreSQL parses the same JSON as it
does for ghfe.

usage: ceiling.py <postgres.log> <out dir> <schema>
"""
import re
import sys

LOG, OUT, SCHEMA = sys.argv[1], sys.argv[2], sys.argv[3]
ACTIONS = ("queued", "in_progress", "completed")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def statements():
    """(sql, {n: value or None}) of every logged execution of ghfe's job statement."""
    found, pending = [], None
    for line in open(LOG, encoding="utf-8", errors="replace"):
        m = re.search(r"LOG:  execute [^:]*: (WITH d AS MATERIALIZED .*)$", line)
        if m:
            pending = m.group(1)
            continue
        m = re.search(r"DETAIL:  parameters: (.*)$", line)
        if m and pending:
            params = {}
            for n, value in re.findall(r"\$(\d+) = (NULL|'(?:[^']|'')*')", m.group(1)):
                params[int(n)] = None if value == "NULL" else value[1:-1].replace("''", "'")
            found.append((pending, params))
            pending = None
    return found


def literal(text):
    """An E'' literal in which pgbench sees no variable (":name" would be one)."""
    text = text.replace("\\", "\\\\").replace("'", "''")
    return "E'" + re.sub(r":(?=[A-Za-z_])", r"\\x3a", text) + "'"


def script_line(sql, params, action):
    """ghfe's statement with its parameters written in, the job id made variable."""
    values = [v for v in params.values() if v]
    job = next(v[1:-1] for v in values
               if re.fullmatch(r"\{\d{6,}\}", v) and any(v[1:-1] in w and w != v for w in values))

    def value(match):
        v = params[int(match.group(1))]
        if v is None:
            return "NULL"
        if re.fullmatch(r"\{" + UUID + r"\}", v):
            return f"('{{bench-' || :client_id || '-' || :job || '-{action}}}')"
        if job in v:
            return f"replace({literal(v)}, '{job}', :job::text)"
        return literal(v)

    return re.sub(r"\$(\d+)(?!\d)", value, sql) + ";"


def main():
    by_action = {}
    for sql, params in statements():
        for action in ACTIONS:
            if "{workflow_job." + action + "}" in params.values() and action not in by_action:
                by_action[action] = script_line(sql, params, action)
    missing = [a for a in ACTIONS if a not in by_action]
    if missing:
        sys.exit(f"ceiling.py: no logged statement for {missing} in {LOG}")
    head = "\\set job random(1, 9000000000000000)\n"
    notify = f"SELECT pg_notify('{SCHEMA}_queue_event', :job::text);\n"
    queued = by_action["queued"] + "\n"
    rest = by_action["in_progress"] + "\n" + by_action["completed"] + "\n"
    scripts = {
        "queued-plain": head + queued,
        "queued-notify": head + "BEGIN;\n" + queued + notify + "COMMIT;\n",
        "lifecycle-plain": head + queued + rest,
        "lifecycle-notify": head + "BEGIN;\n" + queued + notify + "COMMIT;\n" + rest,
    }
    for name, text in scripts.items():
        with open(f"{OUT}/{name}.sql", "w") as f:
            f.write(text)
    print(f"ceiling scripts from ghfe's logged statements ({len(queued)} bytes for a queued delivery)")


main()
