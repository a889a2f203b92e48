//! The `# HELP` text of every metric ghfe exports, and its build-info gauge.

use metrics::{describe_counter, describe_gauge, describe_histogram};

#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

use Kind::{Counter, Gauge, Histogram};

/// Every metric: its kind, name and help. Durations are in seconds.
const METRICS: &[(Kind, &str, &str)] = &[
    (
        Counter,
        "ghfe_webhook_deliveries_total",
        "Deliveries answered, by event and outcome (rejections included)",
    ),
    (
        Counter,
        "ghfe_webhook_rejected_total",
        "Deliveries refused before they were handled, by reason",
    ),
    (
        Histogram,
        "ghfe_webhook_duration_seconds",
        "Time from request to answer, by event",
    ),
    (
        Counter,
        "ghfe_signature_failures_total",
        "Deliveries whose signature no configured secret verifies",
    ),
    (
        Counter,
        "ghfe_jobs_transitions_total",
        "Job rows moved to a status by a delivery, by status",
    ),
    (
        Histogram,
        "ghfe_job_queue_duration_seconds",
        "GitHub's created_at to started_at of jobs that started, by pool",
    ),
    (
        Counter,
        "ghfe_staging_forward_total",
        "Deliveries forwarded to staging, by result",
    ),
    (
        Counter,
        "ghfe_http_client_errors_total",
        "Malformed HTTP requests dropped by the server",
    ),
    (
        Counter,
        "ghfe_db_blocked_total",
        "Deliveries that found their job row locked by another transaction",
    ),
    (
        Histogram,
        "ghfe_db_batch_size",
        "Deliveries per group-commit statement",
    ),
    (
        Gauge,
        "ghfe_db_pool_connections",
        "Connections of the read pool, by state (open, idle)",
    ),
    (
        Gauge,
        "ghfe_db_pool_max_connections",
        "Size limit of the read pool",
    ),
    (
        Gauge,
        "ghfe_database_up",
        "1 when the last demand refresh reached the database, else 0",
    ),
    (
        Gauge,
        "ghfe_jobs",
        "Active jobs, by pool and status (pending, running), refreshed every few seconds",
    ),
    (
        Gauge,
        "ghfe_oldest_pending_job_age_seconds",
        "Age of the oldest pending job, by pool (0 when none)",
    ),
    (
        Counter,
        "ghfe_redeliveries_total",
        "Redelivery requests, by App and result",
    ),
    (
        Counter,
        "ghfe_redelivery_runs_total",
        "Redelivery runs, by result (ok, truncated, rate_limited, skipped, failed)",
    ),
    (
        Gauge,
        "ghfe_redelivery_last_success_timestamp_seconds",
        "Unix time of the last complete redelivery run",
    ),
    (
        Counter,
        "ghfe_reconciled_total",
        "Stale jobs checked against GitHub, by result",
    ),
    (
        Counter,
        "ghfe_reconcile_checked_total",
        "Job lookups the reconciler made",
    ),
    (
        Counter,
        "ghfe_reconcile_rate_limit_stops_total",
        "Reconciler passes stopped at an installation's rate-limit reserve",
    ),
    (
        Counter,
        "ghfe_retention_pruned_total",
        "Rows deleted by retention, by table",
    ),
    (
        Gauge,
        "ghfe_build_info",
        "Always 1: the running version and commit as labels",
    ),
];

/// Describes every metric to the installed recorder and sets
/// `ghfe_build_info`.
pub fn describe() {
    for &(kind, name, help) in METRICS {
        match kind {
            Counter => describe_counter!(name, help),
            Gauge => describe_gauge!(name, help),
            Histogram => describe_histogram!(name, help),
        }
    }
    metrics::gauge!(
        "ghfe_build_info",
        "version" => env!("CARGO_PKG_VERSION"),
        "commit" => env!("GHFE_COMMIT"),
    )
    .set(1.0);
}
