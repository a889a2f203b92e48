-- /api/webhooks/statistics counts the deliveries of the last hours: an
-- index on the receive time keeps that a range scan on a long log.
CREATE INDEX IF NOT EXISTS installation_events_received_idx
    ON installation_events (received_at);
