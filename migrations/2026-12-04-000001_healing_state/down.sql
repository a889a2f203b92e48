DROP TABLE reconcile_checks;
DROP TABLE redelivery_tries;
DROP TABLE redelivery_checkpoints;
