//! Logging and metrics set-up: JSON lines outside development, readable
//! text in it; a Prometheus recorder shared by every server in the process.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::{Level, Metadata};
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::Settings;

/// Installs the global subscriber; a second call is a no-op.
pub fn init(settings: &Settings) {
    let filter = EnvFilter::try_new(&settings.log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let format = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let format: Box<dyn Layer<Registry> + Send + Sync> = if settings.json_logs() {
        format
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .boxed()
    } else {
        format.boxed()
    };
    let installed = tracing_subscriber::registry()
        .with(
            format
                .with_filter(filter_fn(|meta| !is_client_mistake(meta)))
                .with_filter(filter),
        )
        .with(ClientMistakes::default().with_filter(filter_fn(is_client_mistake)))
        .try_init();
    drop(installed);
}

/// The HTTP server logs a connection it refused (a malformed request, a
/// head over the size limit, a client too slow to send its request) as an
/// ERROR of its dispatcher. Anyone on the internet can cause those, so they
/// must not page anyone.
fn is_client_mistake(meta: &Metadata<'_>) -> bool {
    *meta.level() == Level::ERROR && meta.target() == "actix_http::h1::dispatcher"
}

/// Turns the HTTP server's client-mistake errors into one WARN line per
/// minute at most, with how many there were.
#[derive(Debug, Default)]
struct ClientMistakes {
    count: AtomicU64,
    last_said: Mutex<Option<Instant>>,
}

/// At most one warning about client mistakes per this long.
const CLIENT_MISTAKES_EVERY: Duration = Duration::from_secs(60);

impl<S: tracing::Subscriber> Layer<S> for ClientMistakes {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        debug_assert!(is_client_mistake(event.metadata()));
        metrics::counter!("ghfe_http_client_errors_total").increment(1);
        let count = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        let mut last = self
            .last_said
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if last.is_some_and(|at| at.elapsed() < CLIENT_MISTAKES_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        drop(last);
        self.count.store(0, Ordering::Relaxed);
        tracing::warn!(
            count,
            "requests refused by the HTTP server (malformed, headers too large, or too slow)"
        );
    }
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
            crate::metric_help::describe();
            handle
        })
        .clone()
}
