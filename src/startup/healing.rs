//! The background loops on their adapters: redelivery of lost deliveries,
//! reconciliation of stale jobs, retention of old rows.

use std::time::Duration;

use chrono::TimeDelta;

use crate::adapters::github::GithubClient;
use crate::adapters::postgres::PgStore;
use crate::app::reconcile::{ReconcileSettings, Reconciler};
use crate::app::redelivery::{Redelivery, RedeliverySettings, RunOptions};
use crate::app::retention::{Retention, RetentionSettings};
use crate::config::{ReconcileConfig, RedeliveryConfig, Settings};
use crate::domain::redelivery::Policy;

/// Redelivery as configured, over `store` and GitHub.
pub type Service = Redelivery<PgStore, GithubClient>;

/// Reconciliation as configured.
pub type Reconcile = Reconciler<PgStore, GithubClient>;

/// The redelivery use case for `settings`, on `github`.
pub fn service(settings: &Settings, store: PgStore, github: GithubClient) -> Service {
    Redelivery::new(store, github, limits(&settings.redelivery))
}

fn limits(config: &RedeliveryConfig) -> RedeliverySettings {
    let minutes = |m: u64| TimeDelta::minutes(i64::try_from(m).unwrap_or(i64::MAX / 60_000));
    RedeliverySettings {
        window: minutes(config.window_hours.saturating_mul(60)),
        overlap: minutes(config.overlap_minutes),
        max_pages: config.max_pages,
        max_run_time: Duration::from_secs(config.max_run_seconds),
        pace: Duration::from_millis(config.pace_ms),
        policy: Policy {
            max_per_run: config.max_per_run,
            max_tries: config.max_tries,
            settle: TimeDelta::seconds(30),
            first_backoff: TimeDelta::minutes(2),
            // Below the scan's overlap behind its checkpoint is not needed:
            // the checkpoint never passes an unresolved delivery.
            max_backoff: TimeDelta::minutes(30),
        },
    }
}

/// The reconciliation use case for `settings`, on `github`.
pub fn reconciler(settings: &Settings, store: PgStore, github: GithubClient) -> Reconcile {
    let config: &ReconcileConfig = &settings.reconcile;
    Reconciler::new(
        store,
        github,
        ReconcileSettings {
            pending_after: TimeDelta::minutes(i64::from(config.pending_after_minutes)),
            running_after: TimeDelta::hours(i64::from(config.running_after_hours)),
            per_installation: config.per_installation,
            reserve: f64::from(config.reserve_percent) / 100.0,
            deadline: Duration::from_millis(settings.webhook.deadline_ms),
        },
    )
}

/// Retention as configured.
pub fn retention(settings: &Settings, store: PgStore) -> Retention<PgStore> {
    let days = |d: Option<u32>| d.map(|d| TimeDelta::days(i64::from(d)));
    Retention::new(
        store,
        RetentionSettings {
            events: days(settings.retention.events_days),
            jobs: days(settings.retention.jobs_days),
            max_run_time: Duration::from_secs(60),
        },
    )
}

/// Prunes old rows every `interval`, until aborted.
pub async fn prune_every(retention: Retention<PgStore>, interval: Duration) {
    let mut ticks = ticks(interval);
    loop {
        ticks.tick().await;
        if let Err(error) = retention.run().await {
            tracing::warn!(error = %crate::ports::error_chain(&error), "retention run failed");
        }
    }
}

/// Runs redelivery now and every `interval`, until aborted.
pub async fn redeliver_every(service: Service, interval: Duration) {
    let mut ticks = ticks(interval);
    loop {
        ticks.tick().await;
        // The run logs and counts itself; an error waits for the next tick.
        drop(service.run(RunOptions::default()).await);
    }
}

/// Runs reconciliation every `interval` (the first after one interval,
/// when redelivery has had its chance), until aborted.
pub async fn reconcile_every(reconciler: Reconcile, interval: Duration) {
    let mut ticks = ticks(interval);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        drop(reconciler.run().await);
    }
}

fn ticks(interval: Duration) -> tokio::time::Interval {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks
}
