DROP INDEX IF EXISTS installation_events_received_idx;
