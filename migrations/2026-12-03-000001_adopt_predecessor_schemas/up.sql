-- Brings any schema the predecessor created to ghfe's, without losing a row,
-- and gives the predecessor's scheduler what it expects. On a schema ghfe
-- created, it only adds the enum type and renames indexes.

-- The predecessor's scheduler casts `$n::entity_type_enum` in its own event
-- inserts (ghfe's columns stay TEXT; an enum value is assigned to TEXT).
DO $$ BEGIN
    CREATE TYPE entity_type_enum AS ENUM ('Organization', 'User');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- The first generation's status type has no 'failed'.
ALTER TYPE status_enum ADD VALUE IF NOT EXISTS 'failed';

-- Every column ghfe reads or writes. A provider column added here gets the
-- predecessor's only value as its default, so a predecessor still writing
-- during the switch-over keeps working.
ALTER TABLE jobs
    ADD COLUMN IF NOT EXISTS failure_info     JSONB,
    ADD COLUMN IF NOT EXISTS provider         provider_enum NOT NULL DEFAULT 'github',
    ADD COLUMN IF NOT EXISTS k8s_pod          TEXT,
    ADD COLUMN IF NOT EXISTS html_url         TEXT,
    ADD COLUMN IF NOT EXISTS job_name         TEXT,
    ADD COLUMN IF NOT EXISTS run_id           BIGINT,
    ADD COLUMN IF NOT EXISTS priority         INT NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS job_conclusion   TEXT,
    ADD COLUMN IF NOT EXISTS job_created_at   TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS job_started_at   TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS job_completed_at TIMESTAMPTZ;

ALTER TABLE workers
    ADD COLUMN IF NOT EXISTS provider        provider_enum,
    ADD COLUMN IF NOT EXISTS entity_type     TEXT,
    ADD COLUMN IF NOT EXISTS installation_id BIGINT,
    ADD COLUMN IF NOT EXISTS repo_full_name  TEXT,
    ADD COLUMN IF NOT EXISTS k8s_node        TEXT,
    ADD COLUMN IF NOT EXISTS failure_info    JSONB,
    ADD COLUMN IF NOT EXISTS running_at      TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS completed_at    TIMESTAMPTZ;

ALTER TABLE installation_events
    ADD COLUMN IF NOT EXISTS job_id         BIGINT,
    ADD COLUMN IF NOT EXISTS repo_full_name TEXT;
ALTER TABLE installation_events ALTER COLUMN payload SET DEFAULT '{}';

-- entity_type typed as the enum (the predecessor's documented DDL) becomes
-- TEXT, which ghfe writes; values are kept.
DO $$
DECLARE
    tab TEXT;
BEGIN
    FOR tab IN
        SELECT c.relname FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relnamespace = current_schema()::regnamespace
          AND c.relname IN ('jobs', 'workers', 'installation_events')
          AND a.attname = 'entity_type' AND NOT a.attisdropped
          AND a.atttypid = 'entity_type_enum'::regtype
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN entity_type TYPE TEXT', tab);
    END LOOP;
END $$;

-- Earlier ghfe versions named their indexes differently: keep one copy of
-- each, under the predecessor's name.
DO $$
DECLARE
    pair TEXT[];
BEGIN
    FOREACH pair SLICE 1 IN ARRAY ARRAY[
        ['jobs_active_demand_idx', 'idx_jobs_active'],
        ['jobs_active_installation_idx', 'idx_jobs_reconcile'],
        ['jobs_created_at_idx', 'idx_jobs_created'],
        ['workers_active_idx', 'idx_workers_active'],
        ['installation_events_installation_entity_idx', 'idx_install_events_installation'],
        ['installation_events_entity_received_idx', 'idx_install_events_entity']
    ] LOOP
        IF to_regclass(pair[1]) IS NOT NULL THEN
            IF to_regclass(pair[2]) IS NOT NULL THEN
                EXECUTE format('DROP INDEX %I', pair[1]);
            ELSE
                EXECUTE format('ALTER INDEX %I RENAME TO %I', pair[1], pair[2]);
            END IF;
        END IF;
    END LOOP;
END $$;
