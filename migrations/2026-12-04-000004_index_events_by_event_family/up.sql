-- The delivery log by event family (`workflow_job` for
-- `workflow_job.queued`), newest first (built as the ones before).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_install_events_family ON installation_events (split_part(event, '.', 1), id);
