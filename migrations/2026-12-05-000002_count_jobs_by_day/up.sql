-- Jobs counted per day (UTC, by when ghfe stored them) for /stats: per
-- account the jobs and their runner time, per pool the queue-time
-- percentiles. A day is counted once it is over by a day, and then kept,
-- also after retention prunes its jobs.
CREATE TABLE IF NOT EXISTS job_usage_daily (
    day            DATE NOT NULL,
    account        TEXT NOT NULL,
    jobs           BIGINT NOT NULL,
    runner_seconds BIGINT NOT NULL,
    PRIMARY KEY (day, account)
);
CREATE TABLE IF NOT EXISTS job_queue_daily (
    day  DATE NOT NULL,
    pool TEXT NOT NULL,
    jobs BIGINT NOT NULL,
    p50  DOUBLE PRECISION NOT NULL,
    p90  DOUBLE PRECISION NOT NULL,
    p99  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (day, pool)
);
-- The days counted (a day without jobs has no rows above).
CREATE TABLE IF NOT EXISTS job_count_days (
    day DATE PRIMARY KEY
);
