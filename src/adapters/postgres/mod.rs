//! The PostgreSQL store: job deliveries through group commit on writer
//! connections of their own (`batch.rs`), reads and `workflow_run`
//! deliveries through diesel-async over a deadpool pool; one schema per
//! deployment, embedded migrations and the coalescing scheduler wake-up.

mod batch;
mod batch_statement;
mod connection;
mod demand;
mod event_counts;
mod event_log;
mod migrate;
mod notifier;
mod per_thread;
mod reconcile;
mod redelivery;
mod retention;
mod rows;
mod run;
mod run_lock;
mod schema;
mod stats;
mod tls;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::task::JoinHandle;

pub use connection::{check_url, PgOptions};
pub use demand::PoolDemand;
pub use migrate::{migrate, required_version, Direction, SchemaBehind};

use crate::domain::event_query::EventQuery;
use crate::domain::history::HistoryQuery;
use crate::domain::ids::{EntityId, EventId, InstallationId, JobId};
use crate::domain::job::JobRow;
use crate::domain::stats::{AccountWeek, PoolDay};
use crate::ports::{
    Applied, Change, DeliveryRecord, DemandLog, EventCount, EventLog, EventSummary, EventsPage,
    HistoryPage, IgnoredJob, JobListing, JobStore, StoreError, WorkerListing,
};

use batch_statement::Item;
use connection::{build_pool, pool_error, query_error, Connector, PgPool};
use notifier::Notifier;
use per_thread::ThreadBatchers;
use rows::StoredJobRow;
use schema::jobs;

/// The PostgreSQL adapter of [`JobStore`] and [`EventLog`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    batchers: ThreadBatchers,
    describe: String,
}

/// How long the readiness check may take, so a probe always gets an answer.
const CHECK_TIMEOUT: Duration = Duration::from_millis(1500);

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Creates the pool (connections open lazily) and starts the wake-up
    /// notifier; each thread's group-commit workers start with its first
    /// delivery. The returned task ends, after the last wake-up and commit,
    /// once every clone of the store is dropped. Must be called inside a
    /// tokio runtime.
    pub fn connect(options: &PgOptions) -> Result<(Self, JoinHandle<()>), StoreError> {
        let connector = Connector::new(options)?;
        let describe = connector.describe();
        let pool = build_pool(options, connector.clone())?;
        let (notifier, notifier_task) = Notifier::spawn(options, connector.clone());
        let batchers = ThreadBatchers::new(options, connector, Arc::new(notifier));
        let batchers_finished = batchers.finished();
        // The notifier ends after the last batch worker, which holds it.
        let task = tokio::spawn(async move {
            batchers_finished.await;
            drop(notifier_task.await);
        });
        let inner = Arc::new(Inner {
            pool,
            batchers,
            describe,
        });
        Ok((Self { inner }, task))
    }

    async fn conn(&self) -> Result<Object<AsyncPgConnection>, StoreError> {
        self.inner.pool.get().await.map_err(pool_error)
    }

    /// Pending and running jobs per pool, for the metrics.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn pool_demand(&self) -> Result<Vec<PoolDemand>, StoreError> {
        let mut conn = self.conn().await?;
        demand::pool_demand(&mut conn).await.map_err(query_error)
    }

    /// Counts up to `hours` passed hours of the delivery log for the
    /// statistics; returns how many.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn count_passed_hours(&self, hours: i64) -> Result<usize, StoreError> {
        let mut conn = self.conn().await?;
        event_counts::roll_up(&mut conn, hours)
            .await
            .map_err(query_error)
    }

    /// Counts up to `days` days of jobs that are over by a day, for
    /// `/stats`; returns how many.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn count_passed_days(&self, days: i64) -> Result<usize, StoreError> {
        let mut conn = self.conn().await?;
        stats::roll_up(&mut conn, days).await.map_err(query_error)
    }

    /// Pool gauges: (connections open, connections idle, max size).
    pub fn pool_status(&self) -> (usize, usize, usize) {
        let status = self.inner.pool.status();
        (status.size, status.available, status.max_size)
    }
}

impl JobStore for PgStore {
    async fn apply(
        &self,
        record: DeliveryRecord,
        deadline: Instant,
    ) -> Result<Applied, StoreError> {
        let deadline = tokio::time::Instant::from_std(deadline);
        if let Change::Run(run) = &record.change {
            let applied = async {
                let mut conn = self.conn().await?;
                run::apply_run(&mut conn, &record.event, run)
                    .await
                    .map_err(query_error)
            };
            return tokio::time::timeout_at(deadline, applied)
                .await
                .unwrap_or_else(|_| Err(too_late()));
        }
        self.inner
            .batchers
            .here()
            .apply(Item::new(record), deadline)
            .await
    }

    async fn find_job(&self, job: JobId) -> Result<Option<JobRow>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<StoredJobRow> = jobs::table
            .find(job.0)
            .select(StoredJobRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(query_error)?;
        Ok(row.map(JobRow::from))
    }

    async fn check(&self) -> Result<(), StoreError> {
        let checked = async {
            let mut conn = self.conn().await?;
            migrate::check_version(&mut conn).await
        };
        tokio::time::timeout(CHECK_TIMEOUT, checked)
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::Unavailable(
                    format!(
                        "{} did not answer within {CHECK_TIMEOUT:?}",
                        self.inner.describe
                    )
                    .into(),
                ))
            })
    }
}

fn too_late() -> StoreError {
    StoreError::Unavailable("the database did not answer before the delivery's deadline".into())
}

impl EventLog for PgStore {
    async fn search_events(&self, query: &EventQuery) -> Result<EventsPage, StoreError> {
        let mut conn = self.conn().await?;
        event_log::search_events(&mut conn, query)
            .await
            .map_err(query_error)
    }

    async fn count_events(&self, since: DateTime<Utc>) -> Result<Vec<EventCount>, StoreError> {
        let mut conn = self.conn().await?;
        event_counts::count_events(&mut conn, since)
            .await
            .map_err(query_error)
    }

    async fn events_for_entity(
        &self,
        entity: EntityId,
        limit: usize,
    ) -> Result<Vec<EventSummary>, StoreError> {
        let mut conn = self.conn().await?;
        event_log::events_for_entity(&mut conn, entity, limit)
            .await
            .map_err(query_error)
    }

    async fn entity_of_installation_events(
        &self,
        installation: InstallationId,
    ) -> Result<Option<EntityId>, StoreError> {
        let mut conn = self.conn().await?;
        event_log::entity_of_installation_events(&mut conn, installation)
            .await
            .map_err(query_error)
    }

    async fn entity_of_installation_jobs(
        &self,
        installation: InstallationId,
    ) -> Result<Option<EntityId>, StoreError> {
        let mut conn = self.conn().await?;
        event_log::entity_of_installation_jobs(&mut conn, installation)
            .await
            .map_err(query_error)
    }

    async fn find_event(&self, event: EventId) -> Result<Option<EventSummary>, StoreError> {
        let mut conn = self.conn().await?;
        event_log::find_event(&mut conn, event)
            .await
            .map_err(query_error)
    }

    async fn event_payload(&self, event: EventId) -> Result<Option<serde_json::Value>, StoreError> {
        let mut conn = self.conn().await?;
        event_log::event_payload(&mut conn, event)
            .await
            .map_err(query_error)
    }
}

impl DemandLog for PgStore {
    async fn active_jobs(&self) -> Result<Vec<JobListing>, StoreError> {
        let mut conn = self.conn().await?;
        demand::active_jobs(&mut conn).await.map_err(query_error)
    }

    async fn active_workers(
        &self,
        failed_since: DateTime<Utc>,
    ) -> Result<Vec<WorkerListing>, StoreError> {
        let mut conn = self.conn().await?;
        demand::active_workers(&mut conn, failed_since)
            .await
            .map_err(query_error)
    }

    async fn ignored_jobs(
        &self,
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<IgnoredJob>, StoreError> {
        let mut conn = self.conn().await?;
        demand::ignored_jobs(&mut conn, since, limit)
            .await
            .map_err(query_error)
    }

    async fn history(&self, query: &HistoryQuery) -> Result<HistoryPage, StoreError> {
        let mut conn = self.conn().await?;
        demand::history(&mut conn, query).await.map_err(query_error)
    }

    async fn weekly_usage(&self, since: NaiveDate) -> Result<Vec<AccountWeek>, StoreError> {
        let mut conn = self.conn().await?;
        stats::weekly_usage(&mut conn, since)
            .await
            .map_err(query_error)
    }

    async fn queue_times(&self, since: NaiveDate) -> Result<Vec<PoolDay>, StoreError> {
        let mut conn = self.conn().await?;
        stats::queue_times(&mut conn, since)
            .await
            .map_err(query_error)
    }
}
