//! The redelivery use case on its adapters, and its background loop.

use std::time::Duration;

use chrono::TimeDelta;

use crate::adapters::github::GithubClient;
use crate::adapters::postgres::PgStore;
use crate::app::redelivery::{Redelivery, RedeliverySettings, RunOptions};
use crate::config::{RedeliveryConfig, Settings};
use crate::domain::redelivery::Policy;

/// Redelivery as configured, over `store` and GitHub.
pub type Service = Redelivery<PgStore, GithubClient>;

/// The use case for `settings`.
pub fn service(settings: &Settings, store: PgStore) -> anyhow::Result<Service> {
    Ok(Redelivery::new(
        store,
        super::github_client(settings)?,
        limits(&settings.redelivery),
    ))
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

/// Runs `service` now and every `interval`, until aborted.
pub async fn run_loop(service: Service, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        // The run logs and counts itself; an error waits for the next tick.
        drop(service.run(RunOptions::default()).await);
    }
}
