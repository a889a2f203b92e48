//! Reads of demand (`jobs`) and supply (`workers`, written by the
//! scheduler) for `/usage`, `/history` and `/stats`.

use std::future::Future;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::delivery::Entity;
use crate::domain::history::HistoryQuery;
use crate::domain::ids::{EntityId, EventId, JobId};
use crate::domain::job::JobStatus;
use crate::domain::labels::LabelSet;
use crate::domain::stats::{AccountWeek, PoolDay};

use super::job_store::StoreError;

/// A job as the pages show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobListing {
    pub job_id: JobId,
    pub status: JobStatus,
    pub entity: Entity,
    pub repo_full_name: String,
    pub labels: LabelSet,
    pub k8s_pool: String,
    pub k8s_image: String,
    /// The runner pod serving it, once the scheduler started one.
    pub k8s_pod: Option<String>,
    pub html_url: Option<String>,
    pub job_name: Option<String>,
    pub job_conclusion: Option<String>,
    /// When ghfe stored the job.
    pub created_at: DateTime<Utc>,
    /// When GitHub created it (queued).
    pub github_created_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A runner pod the scheduler started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerListing {
    pub pod_name: String,
    pub status: JobStatus,
    pub entity_id: Option<EntityId>,
    pub entity_name: Option<String>,
    pub entity_type: Option<String>,
    pub labels: LabelSet,
    pub k8s_pool: Option<String>,
    pub k8s_node: Option<String>,
    /// Why the scheduler failed it, as it wrote it.
    pub failure_info: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

/// A job delivery that no routing rule matched: the job stays queued on
/// GitHub, so a label typo shows here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredJob {
    pub event_id: EventId,
    pub received_at: DateTime<Utc>,
    pub repo_full_name: Option<String>,
    pub job_id: Option<JobId>,
    pub labels: Vec<String>,
}

/// One page of history and the number of jobs in the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    pub jobs: Vec<JobListing>,
    pub total: u64,
}

/// Demand and supply reads.
pub trait DemandLog: Send + Sync + 'static {
    /// Jobs still pending or running.
    ///
    /// # Errors
    /// As for [`super::JobStore::apply`].
    fn active_jobs(&self) -> impl Future<Output = Result<Vec<JobListing>, StoreError>> + Send;

    /// Workers still pending or running, and those that failed since
    /// `failed_since`.
    ///
    /// # Errors
    /// As for [`super::JobStore::apply`].
    fn active_workers(
        &self,
        failed_since: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<WorkerListing>, StoreError>> + Send;

    /// Job deliveries no rule matched since `since`, newest first, at most
    /// `limit`.
    ///
    /// # Errors
    /// As for [`super::JobStore::apply`].
    fn ignored_jobs(
        &self,
        since: DateTime<Utc>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<IgnoredJob>, StoreError>> + Send;

    /// Jobs created in the query's window, newest first, one page of them.
    ///
    /// # Errors
    /// As for [`super::JobStore::apply`].
    fn history(
        &self,
        query: &HistoryQuery,
    ) -> impl Future<Output = Result<HistoryPage, StoreError>> + Send;

    /// Jobs stored on `since` (UTC) or later, per account and week (weeks
    /// start on Monday): how many, and their runner time.
    ///
    /// # Errors
    /// As for [`super::JobStore::apply`].
    fn weekly_usage(
        &self,
        since: NaiveDate,
    ) -> impl Future<Output = Result<Vec<AccountWeek>, StoreError>> + Send;

    /// Jobs stored on `since` (UTC) or later that started, per pool and
    /// day: the 50th, 90th and 99th percentile of their queue time.
    ///
    /// # Errors
    /// As for [`super::JobStore::apply`].
    fn queue_times(
        &self,
        since: NaiveDate,
    ) -> impl Future<Output = Result<Vec<PoolDay>, StoreError>> + Send;
}
