DROP TABLE IF EXISTS job_count_days;
DROP TABLE IF EXISTS job_queue_daily;
DROP TABLE IF EXISTS job_usage_daily;
