-- The delivery log by outcome, newest first: /api/webhooks/events?outcome=,
-- /deliveries and the jobs /usage lists as matched by no rule. Built
-- concurrently (so outside a transaction, see metadata.toml): deliveries
-- keep being written while a long log is indexed. A build that failed
-- leaves an invalid index: drop it and migrate again.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_install_events_outcome ON installation_events (outcome, id);
