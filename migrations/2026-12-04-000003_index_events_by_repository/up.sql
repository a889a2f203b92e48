-- The delivery log by repository, newest first (built as the one before).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_install_events_repo ON installation_events (repo_full_name, id);
