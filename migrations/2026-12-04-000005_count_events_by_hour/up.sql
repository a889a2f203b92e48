-- Statistics of the expressions the indexes before this one cover, for the
-- planner to use them at once.
ANALYZE installation_events;

-- Deliveries counted per hour by event and outcome, for statistics over
-- long windows; an hour is counted once it has passed.
CREATE TABLE IF NOT EXISTS event_counts_hourly (
    hour    TIMESTAMPTZ NOT NULL,
    event   TEXT NOT NULL,
    outcome TEXT NOT NULL,
    count   BIGINT NOT NULL,
    PRIMARY KEY (hour, event, outcome)
);
-- The hours counted (an hour without deliveries has no count rows).
CREATE TABLE IF NOT EXISTS event_count_hours (
    hour TIMESTAMPTZ PRIMARY KEY
);
