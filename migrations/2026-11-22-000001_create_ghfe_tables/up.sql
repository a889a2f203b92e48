-- ghfe's tables, created in the deployment schema that the migration runner
-- puts first on the search_path.
--
-- Everything is "IF NOT EXISTS": a schema the predecessor created is adopted
-- as it is (see the adoption migration for the columns it lacks). Indexes
-- carry the predecessor's names, so an adopted table keeps one copy of each.

DO $$ BEGIN
    CREATE TYPE status_enum AS ENUM ('pending', 'running', 'completed', 'failed');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

DO $$ BEGIN
    CREATE TYPE provider_enum AS ENUM ('github', 'gitlab', 'azdo');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- Demand: one row per workflow job, read by the scheduler.
CREATE TABLE IF NOT EXISTS jobs (
    job_id           BIGINT PRIMARY KEY,
    status           status_enum NOT NULL DEFAULT 'pending',
    failure_info     JSONB,
    provider         provider_enum NOT NULL,
    entity_id        BIGINT NOT NULL,
    entity_name      TEXT NOT NULL,
    entity_type      TEXT NOT NULL,
    repo_full_name   TEXT NOT NULL,
    installation_id  BIGINT NOT NULL,
    job_labels       JSONB NOT NULL,
    k8s_pool         TEXT NOT NULL,
    k8s_image        TEXT NOT NULL,
    k8s_pod          TEXT,
    html_url         TEXT,
    job_name         TEXT,
    run_id           BIGINT,
    priority         INT NOT NULL DEFAULT 0,
    job_conclusion   TEXT,
    job_created_at   TIMESTAMPTZ,
    job_started_at   TIMESTAMPTZ,
    job_completed_at TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS priority INT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS idx_jobs_active
    ON jobs (entity_id, job_labels, created_at) WHERE status <> 'completed';
CREATE INDEX IF NOT EXISTS idx_jobs_reconcile
    ON jobs (installation_id) WHERE status <> 'completed';
CREATE INDEX IF NOT EXISTS idx_jobs_created ON jobs (created_at DESC);

-- Supply: written by the scheduler; ghfe only reads it.
CREATE TABLE IF NOT EXISTS workers (
    pod_name         TEXT PRIMARY KEY,
    provider         provider_enum,
    entity_id        BIGINT,
    entity_name      TEXT,
    entity_type      TEXT,
    installation_id  BIGINT,
    repo_full_name   TEXT,
    job_labels       JSONB,
    k8s_pool         TEXT,
    k8s_image        TEXT,
    k8s_node         TEXT,
    status           status_enum NOT NULL DEFAULT 'pending',
    failure_info     JSONB,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    running_at       TIMESTAMPTZ,
    completed_at     TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_workers_active
    ON workers (entity_id, job_labels, k8s_pool) WHERE status <> 'completed';

-- The delivery log: one row per accepted delivery (and the scheduler's own).
CREATE TABLE IF NOT EXISTS installation_events (
    id               BIGSERIAL PRIMARY KEY,
    source           TEXT NOT NULL,
    event            TEXT NOT NULL,
    outcome          TEXT NOT NULL,
    delivery_id      TEXT,
    installation_id  BIGINT,
    app_id           BIGINT,
    entity_type      TEXT,
    entity_id        BIGINT,
    entity_name      TEXT,
    job_id           BIGINT,
    repo_full_name   TEXT,
    payload          JSONB NOT NULL DEFAULT '{}',
    received_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Added by ghfe to a predecessor's table: the delivery GUID that makes
-- redeliveries no-ops, the App, and the answer given (replayed to a
-- redelivery after "Duplicate delivery: ").
ALTER TABLE installation_events ADD COLUMN IF NOT EXISTS delivery_id TEXT;
ALTER TABLE installation_events ADD COLUMN IF NOT EXISTS app_id BIGINT;
ALTER TABLE installation_events ADD COLUMN IF NOT EXISTS response TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS installation_events_delivery_id_key
    ON installation_events (delivery_id) WHERE delivery_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_install_events_installation
    ON installation_events (installation_id, entity_id);
CREATE INDEX IF NOT EXISTS idx_install_events_entity
    ON installation_events (entity_id, received_at DESC);
CREATE INDEX IF NOT EXISTS installation_events_received_idx
    ON installation_events (received_at DESC);

-- Workflow runs, upserted with forward-only status.
CREATE TABLE IF NOT EXISTS workflow_runs (
    run_id           BIGINT PRIMARY KEY,
    repo_full_name   TEXT NOT NULL,
    workflow_name    TEXT,
    head_branch      TEXT,
    head_sha         TEXT,
    event            TEXT,
    status           TEXT,
    conclusion       TEXT,
    entity_id        BIGINT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
