//! Retention: event rows older than `retention.events_days` and completed
//! jobs older than `retention.jobs_days` are deleted, a batch at a time,
//! by one replica at a time.

use std::time::Duration;

use chrono::{TimeDelta, Utc};

use crate::ports::{Prunable, StoreError};

/// Rows deleted per statement.
const BATCH: i64 = 5000;

/// How long rows are kept; `None` keeps them.
#[derive(Debug, Clone, Copy)]
pub struct RetentionSettings {
    pub events: Option<TimeDelta>,
    pub jobs: Option<TimeDelta>,
    /// A run stops after this long; the next goes on.
    pub max_run_time: Duration,
}

/// Rows deleted by one run, or `None` when another run holds the lock.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub events: u64,
    pub jobs: u64,
}

/// The retention use case.
#[derive(Debug, Clone)]
pub struct Retention<S> {
    store: S,
    settings: RetentionSettings,
}

impl<S: Prunable> Retention<S> {
    pub fn new(store: S, settings: RetentionSettings) -> Self {
        Self { store, settings }
    }

    /// Whether anything is to be pruned.
    pub fn enabled(&self) -> bool {
        self.settings.events.is_some() || self.settings.jobs.is_some()
    }

    /// One run; logs and counts what it deleted.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn run(&self) -> Result<Option<Pruned>, StoreError> {
        let Some(lock) = self.store.try_lock("retention").await? else {
            return Ok(None);
        };
        let deadline = tokio::time::Instant::now() + self.settings.max_run_time;
        let now = Utc::now();
        let mut pruned = Pruned::default();
        if let Some(keep) = self.settings.events {
            pruned.events = drain(deadline, || self.store.prune_events(now - keep, BATCH)).await?;
        }
        if let Some(keep) = self.settings.jobs {
            pruned.jobs = drain(deadline, || self.store.prune_jobs(now - keep, BATCH)).await?;
        }
        self.store.unlock(lock).await;
        metrics::counter!("ghfe_retention_pruned_total", "table" => "installation_events")
            .increment(pruned.events);
        metrics::counter!("ghfe_retention_pruned_total", "table" => "jobs").increment(pruned.jobs);
        if pruned != Pruned::default() {
            tracing::info!(
                events = pruned.events,
                jobs = pruned.jobs,
                "retention: old rows deleted"
            );
        }
        Ok(Some(pruned))
    }
}

/// Runs `batch` until it deletes less than a full batch or time is up.
async fn drain<F, Fut>(deadline: tokio::time::Instant, batch: F) -> Result<u64, StoreError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<u64, StoreError>>,
{
    let mut total = 0;
    loop {
        let deleted = batch().await?;
        total += deleted;
        if deleted < BATCH.unsigned_abs() || tokio::time::Instant::now() >= deadline {
            return Ok(total);
        }
    }
}
