-- What the redelivery and reconciliation loops keep between runs, so that a
-- restart or another replica continues where the last run stopped, and the
-- index the retention loop prunes completed jobs by.

-- Per App: the scan of its delivery log may stop at this time next run.
CREATE TABLE redelivery_checkpoints (
    app_id     BIGINT PRIMARY KEY,
    checked_to TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Per delivery GUID that ghfe asked GitHub to redeliver.
CREATE TABLE redelivery_tries (
    guid          TEXT PRIMARY KEY,
    app_id        BIGINT NOT NULL,
    tries         INT NOT NULL,
    last_tried_at TIMESTAMPTZ NOT NULL,
    gave_up       BOOLEAN NOT NULL DEFAULT false
);

CREATE INDEX idx_redelivery_tries_last ON redelivery_tries (last_tried_at);

-- Per stale job the reconciler asked GitHub about: when to ask again, and
-- how many times in a row GitHub did not know it.
CREATE TABLE reconcile_checks (
    job_id        BIGINT PRIMARY KEY,
    checks        INT NOT NULL,
    not_found     INT NOT NULL DEFAULT 0,
    next_check_at TIMESTAMPTZ NOT NULL
);

-- Completed jobs by age, for retention.jobs_days.
CREATE INDEX IF NOT EXISTS idx_jobs_completed_age ON jobs (updated_at) WHERE status = 'completed';
