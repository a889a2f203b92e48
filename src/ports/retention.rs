//! Pruning of old rows, in small batches.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::{RunLocks, StoreError};

/// The tables retention prunes.
pub trait Prunable: RunLocks {
    /// Deletes at most `limit` event rows received before `before`;
    /// returns how many.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn prune_events(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Deletes at most `limit` completed jobs last changed before `before`
    /// (and the reconciler's checks of jobs no longer active); returns how
    /// many jobs.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn prune_jobs(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}
