//! Logging and metrics set-up: JSON lines outside development, readable
//! text in it; a Prometheus recorder shared by every server in the process.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::Settings;

/// Installs the global subscriber; a second call is a no-op.
pub fn init(settings: &Settings) {
    let filter = EnvFilter::try_new(&settings.log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = if settings.json_logs() {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
    drop(installed);
}

/// Buckets of `ghfe_webhook_duration_seconds`, around a commit's cost.
const DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
];
/// Buckets of `ghfe_job_queue_duration_seconds`: seconds to hours.
const QUEUE_BUCKETS: [f64; 10] = [
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0,
];

/// The process-wide Prometheus recorder's handle, installed on first use.
///
/// # Panics
/// Never: the bucket lists are constant and not empty.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("ghfe_webhook_duration_seconds".into()),
                    &DURATION_BUCKETS,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("ghfe_job_queue_duration_seconds".into()),
                        &QUEUE_BUCKETS,
                    )
                })
                .expect("bucket lists are not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed; then ours stays idle.
            drop(metrics::set_global_recorder(recorder));
            handle
        })
        .clone()
}
