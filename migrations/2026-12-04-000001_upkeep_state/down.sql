DROP INDEX IF EXISTS idx_jobs_completed_age;
DROP TABLE reconcile_checks;
DROP TABLE redelivery_tries;
DROP TABLE redelivery_checkpoints;
