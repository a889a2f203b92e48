-- A delivery log of :rows rows over the last 30 days, shaped like a busy
-- fleet's: mostly job deliveries of a few hundred accounts and a few
-- thousand repositories, some ignored jobs, pings and installation events.
-- Payloads are a small stand-in (about 300 bytes), not the real 1.3 kB.
INSERT INTO installation_events (source, event, outcome, response, delivery_id, installation_id, app_id,
    entity_type, entity_id, entity_name, job_id, repo_full_name, payload, received_at)
SELECT 'webhook', e.event, e.outcome, e.outcome || ' ' || n, 'seed-' || n, 1000 + n % 300, 1,
    'Organization', 5000 + n % 300, 'account-' || (n % 300), 1000000 + n / 3,
    'account-' || (n % 300) || '/repo-' || (n % 3000),
    jsonb_build_object('seed', n, 'labels', jsonb_build_array('ubuntu-24.04-riscv'),
        'filler', repeat('x', 240)),
    now() - interval '30 days' + (n::float8 / :rows) * interval '30 days'
FROM generate_series(1, :rows) AS n
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN n % 100 < 30 THEN 'workflow_job.queued'
        WHEN n % 100 < 60 THEN 'workflow_job.in_progress'
        WHEN n % 100 < 90 THEN 'workflow_job.completed'
        WHEN n % 100 < 95 THEN 'workflow_run.completed'
        WHEN n % 100 < 99 THEN 'ping'
        ELSE 'installation.created' END AS event,
    CASE
        WHEN n % 100 < 28 THEN 'job_stored'
        WHEN n % 100 < 30 THEN 'ignored_no_label'
        WHEN n % 100 < 60 THEN 'job_marked_running'
        WHEN n % 100 < 90 THEN 'job_marked_completed'
        WHEN n % 100 < 95 THEN 'run_recorded'
        WHEN n % 1000 = 999 THEN 'staging_proxy_failed'
        ELSE 'ok' END AS outcome
) e;
ANALYZE installation_events;
