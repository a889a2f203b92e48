DROP INDEX IF EXISTS idx_install_events_account;
