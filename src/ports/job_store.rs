//! The store port: applies one verified delivery atomically and answers the
//! readiness probe.

use std::future::Future;
use std::time::Instant;

use crate::domain::delivery::Entity;
use crate::domain::ids::{AppId, DeliveryId, EventId, InstallationId, JobId};
use crate::domain::job::{JobReport, JobRow};
use crate::domain::outcome::Outcome;
use crate::domain::run::RunReport;

/// Boxed error source kept for logs.
pub type ErrorSource = Box<dyn std::error::Error + Send + Sync>;

/// A store failure. Neither variant leaves anything written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or has no free connection; retrying
    /// later can succeed (HTTP 503 with `Retry-After`).
    #[error("database unavailable")]
    Unavailable(#[source] ErrorSource),
    /// Anything else (HTTP 500).
    #[error("unexpected database error")]
    Unexpected(#[source] ErrorSource),
}

/// The `installation_events` row of a delivery, except its outcome, which
/// the store fills in once it knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub source: EventSource,
    /// `X-GitHub-Event`, or `<event>.<action>` for installation, job and
    /// run events.
    pub event: String,
    pub delivery_id: Option<DeliveryId>,
    pub app_id: Option<AppId>,
    pub installation_id: Option<InstallationId>,
    pub entity: Option<Entity>,
    pub job_id: Option<JobId>,
    pub repo_full_name: Option<String>,
    /// The stored payload: JSON text, already trimmed for job deliveries.
    pub payload: String,
}

/// Who an event row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSource {
    /// A webhook delivery.
    Webhook,
    /// The reconciler, after asking GitHub about a stale job.
    Reconciler,
}

impl EventSource {
    /// `installation_events.source`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Reconciler => "reconciler",
        }
    }
}

/// What a delivery changes besides its event row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Nothing; the outcome is already known.
    Nothing(Outcome),
    /// A routed `workflow_job` delivery: the store decides with
    /// [`JobReport::decide`] against the row's current status.
    Job(Box<JobReport>),
    /// A `workflow_run` upsert, forward-only.
    Run(RunReport),
}

/// One delivery to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub event: EventRecord,
    pub change: Change,
}

/// The outcome recorded for a delivery id the first time it was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorOutcome {
    /// `installation_events.outcome`.
    pub code: String,
    /// The response text given then.
    pub message: String,
}

/// What [`JobStore::apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The change and its event row are committed.
    Recorded { event_id: EventId, outcome: Outcome },
    /// The delivery id already had a row: nothing was changed.
    Duplicate(PriorOutcome),
}

/// Durable storage of jobs, runs and the delivery log.
pub trait JobStore: Send + Sync + 'static {
    /// Applies one delivery: the job or run change, its event row (with the
    /// outcome and response text) and the delivery-id dedup, all in one
    /// atomic operation.
    ///
    /// MUST hold:
    /// - `Ok(Recorded)` only once the change and exactly one event row are
    ///   durable; `Err` leaves nothing behind.
    /// - A delivery id that already has a row yields `Ok(Duplicate)` with
    ///   that row's outcome and changes nothing, even when the two arrive
    ///   concurrently.
    /// - Job status only moves forward, per [`crate::domain::job::decide`];
    ///   concurrent deliveries for one job never create two rows.
    /// - A newly stored `pending` job wakes the scheduler after commit.
    /// - It returns by `deadline`: a delivery not written by then is answered
    ///   [`StoreError::Unavailable`]. If its outcome cannot be known (the
    ///   database stopped answering mid-commit), a redelivery of it is still
    ///   answered correctly: as a duplicate if it committed, applied if not.
    /// - A job row another transaction holds delays only the deliveries of
    ///   that job, never the others.
    ///
    /// Text in `record` holds no NUL character (PostgreSQL cannot store one).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database cannot be reached, does
    /// not answer by the deadline, or no connection frees up in time;
    /// [`StoreError::Unexpected`] otherwise.
    fn apply(
        &self,
        record: DeliveryRecord,
        deadline: Instant,
    ) -> impl Future<Output = Result<Applied, StoreError>> + Send;

    /// The `jobs` row of `job`, if any.
    ///
    /// # Errors
    /// As for [`JobStore::apply`].
    fn find_job(
        &self,
        job: JobId,
    ) -> impl Future<Output = Result<Option<JobRow>, StoreError>> + Send;

    /// Succeeds when the store can serve requests (readiness): it answers,
    /// promptly, and its schema is what this ghfe needs.
    ///
    /// # Errors
    /// As for [`JobStore::apply`].
    fn check(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
}
