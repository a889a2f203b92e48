-- Reverts the first migration: drops every ghfe table and type of this
-- schema, data included.
DROP TABLE IF EXISTS workflow_runs;
DROP TABLE IF EXISTS installation_events;
DROP TABLE IF EXISTS workers;
DROP TABLE IF EXISTS jobs;
DROP TYPE IF EXISTS provider_enum;
DROP TYPE IF EXISTS status_enum;
