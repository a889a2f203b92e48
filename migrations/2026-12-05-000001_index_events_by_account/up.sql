-- The delivery log by account (the owner's login), newest first, for the
-- account filter of the log's API and page (built as the ones before).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_install_events_account ON installation_events (entity_name, id);
