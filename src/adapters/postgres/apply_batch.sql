-- Applies a batch of deliveries in one statement, so PostgreSQL makes the
-- whole batch atomic by itself: it commits entirely or not at all.
--
-- Every parameter is an array with one element per delivery, in the order
-- the batch was sorted (job id, so row locks are always taken in one
-- order). $29-$31 are the decision tables the domain computed: five
-- entries per delivery, one for each state its job row can be found in
-- (absent, pending, running, completed, failed). SQL only looks up the
-- entry of the state it finds; it decides nothing itself. $32 is the
-- event row's source (a webhook or the reconciler).
--
-- One statement sees one snapshot, so no two deliveries of a batch may
-- share a job or a delivery id: the batcher keeps the others for the next.
--
-- Each delivery ends in one of these results:
--   recorded   its job change (if any) and its event row are written
--   duplicate  its delivery id already has an event row; nothing written
--   blocked    another transaction holds its job row; nothing written
--   raced      a concurrent delivery wrote its job or delivery id first;
--              nothing of this delivery is kept: apply it again
WITH d AS MATERIALIZED (
    SELECT u.*, nextval('installation_events_id_seq') AS event_id
    FROM unnest(
        $1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
        $6::text[], $7::bigint[], $8::text[], $9::bigint[], $10::text[],
        $11::text[], $12::text[], $13::text[], $14::text[], $15::int[],
        $16::text[], $17::text[], $18::bigint[], $19::timestamptz[], $20::text[],
        $21::timestamptz[], $22::text[], $23::timestamptz[], $24::bigint[], $25::text[],
        $26::bigint[], $27::text[], $28::text[]
    ) WITH ORDINALITY AS u(
        job_id, delivery_id, event, installation_id, app_id,
        entity_type, entity_id, entity_name, event_job_id, repo_full_name,
        payload, labels, pool, image, priority,
        html_url, job_name, run_id, job_created_at, k8s_pod,
        started_at, conclusion, completed_at, row_installation_id, row_entity_type,
        row_entity_id, row_entity_name, row_repo_full_name, n
    )
),
-- The first answer of a delivery id seen before.
seen AS (
    SELECT d.n, e.outcome, e.response
    FROM d CROSS JOIN LATERAL (
        SELECT outcome, response FROM installation_events
        WHERE installation_events.delivery_id = d.delivery_id LIMIT 1
    ) e
),
-- The job rows of the batch, locked. A row another transaction holds is
-- skipped rather than waited for: that delivery is answered "blocked" and
-- tried again on its own, and the rest of the batch goes on.
cur AS (
    SELECT d.n, j.status
    FROM d CROSS JOIN LATERAL (
        SELECT status FROM jobs WHERE jobs.job_id = d.job_id FOR UPDATE SKIP LOCKED
    ) j
    WHERE d.n NOT IN (SELECT n FROM seen)
),
-- What each delivery found, and its entry in the decision tables. A job
-- row that exists but was not locked is held by another transaction. (The
-- lookup is lateral: as an EXISTS, PostgreSQL may hash all of `jobs`.)
found AS (
    SELECT d.n, c.status,
        CASE
            WHEN s.n IS NOT NULL THEN 'duplicate'
            WHEN c.n IS NOT NULL OR d.job_id IS NULL THEN 'row'
            WHEN held.job_id IS NOT NULL THEN 'blocked'
            ELSE 'absent'
        END AS state,
        ((d.n - 1) * 5 + 1 + coalesce(array_position(
            ARRAY['pending', 'running', 'completed', 'failed'], c.status::text), 0))::int AS entry
    FROM d
    LEFT JOIN seen s ON s.n = d.n
    LEFT JOIN cur c ON c.n = d.n
    LEFT JOIN LATERAL (
        SELECT jobs.job_id FROM jobs WHERE jobs.job_id = d.job_id AND c.n IS NULL
    ) held ON true
),
upd AS (
    UPDATE jobs SET
        status = ($29::text[])[f.entry]::status_enum,
        k8s_pod = coalesce(jobs.k8s_pod, d.k8s_pod),
        job_started_at = coalesce(jobs.job_started_at, d.started_at),
        job_conclusion = coalesce(d.conclusion, jobs.job_conclusion),
        job_completed_at = coalesce(d.completed_at, jobs.job_completed_at),
        updated_at = now()
    FROM d JOIN found f ON f.n = d.n
    WHERE jobs.job_id = d.job_id AND f.state = 'row' AND f.status IS NOT NULL
        AND ($29::text[])[f.entry] IS NOT NULL
    RETURNING jobs.job_id
),
ins AS (
    INSERT INTO jobs (
        job_id, status, provider, entity_id, entity_name, entity_type, repo_full_name,
        installation_id, job_labels, k8s_pool, k8s_image, k8s_pod, html_url, job_name,
        run_id, priority, job_conclusion, job_created_at, job_started_at, job_completed_at
    )
    SELECT d.job_id, ($29::text[])[f.entry]::status_enum, 'github', d.row_entity_id,
        d.row_entity_name, d.row_entity_type, d.row_repo_full_name, d.row_installation_id,
        d.labels::jsonb, d.pool, d.image, d.k8s_pod, d.html_url, d.job_name,
        d.run_id, d.priority, d.conclusion, d.job_created_at, d.started_at, d.completed_at
    FROM d JOIN found f ON f.n = d.n
    WHERE f.state = 'absent' AND ($29::text[])[f.entry] IS NOT NULL
    ORDER BY d.n
    ON CONFLICT (job_id) DO NOTHING
    RETURNING job_id
),
result AS (
    SELECT d.n,
        CASE
            WHEN f.state IN ('duplicate', 'blocked') THEN f.state
            WHEN f.state = 'absent' AND ($29::text[])[f.entry] IS NOT NULL
                AND d.job_id NOT IN (SELECT job_id FROM ins) THEN 'raced'
            ELSE 'recorded'
        END AS result
    FROM d JOIN found f ON f.n = d.n
),
ev AS (
    INSERT INTO installation_events (
        id, source, event, outcome, response, delivery_id, installation_id, app_id,
        entity_type, entity_id, entity_name, job_id, repo_full_name, payload
    )
    SELECT d.event_id, ($32::text[])[d.n], d.event, ($30::text[])[f.entry], ($31::text[])[f.entry],
        d.delivery_id, d.installation_id, d.app_id, d.entity_type, d.entity_id,
        d.entity_name, d.event_job_id, d.repo_full_name, d.payload::jsonb
    FROM d JOIN found f ON f.n = d.n JOIN result r ON r.n = d.n
    WHERE r.result = 'recorded'
    ORDER BY d.n
    ON CONFLICT (delivery_id) WHERE delivery_id IS NOT NULL DO NOTHING
    RETURNING id
)
SELECT
    CASE WHEN r.result = 'recorded' AND ev.id IS NULL THEN 'raced' ELSE r.result END,
    f.status::text, ev.id, s.outcome, s.response
FROM d
JOIN result r ON r.n = d.n
JOIN found f ON f.n = d.n
LEFT JOIN ev ON ev.id = d.event_id
LEFT JOIN seen s ON s.n = d.n
ORDER BY d.n
