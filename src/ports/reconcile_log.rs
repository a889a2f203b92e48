//! The jobs the reconciler checks against GitHub, and what it remembers of
//! its checks.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::domain::ids::JobId;
use crate::domain::job::JobRow;

use super::{RunLocks, StoreError};

/// A `pending` or `running` job that has not changed for a while.
#[derive(Debug, Clone)]
pub struct StaleJob {
    pub row: JobRow,
    /// Times the reconciler asked GitHub about it.
    pub checks: u32,
    /// Of those, the last ones in a row that GitHub did not know it.
    pub not_found: u32,
}

/// Stale jobs and the reconciler's checks.
pub trait ReconcileLog: RunLocks {
    /// `pending` jobs stored before `pending_before` and `running` ones
    /// last changed before `running_before`, oldest first, at most
    /// `per_installation` of each installation, leaving out those whose next
    /// check is after `now`.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn stale_jobs(
        &self,
        pending_before: DateTime<Utc>,
        running_before: DateTime<Utc>,
        per_installation: usize,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<StaleJob>, StoreError>> + Send;

    /// Counts a check of `job`: next at `next_at`, with `not_found` misses
    /// in a row.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn record_check(
        &self,
        job: JobId,
        not_found: u32,
        next_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Forgets the checks of `job` (it changed).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn forget(&self, job: JobId) -> impl Future<Output = Result<(), StoreError>> + Send;
}
