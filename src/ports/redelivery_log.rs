//! What ghfe keeps between redelivery runs.

use std::collections::{HashMap, HashSet};
use std::future::Future;

use chrono::{DateTime, Utc};

use crate::domain::redelivery::Tries;

use super::{RunLocks, StoreError};

/// Redelivery state, per App (by its id) and per GUID.
pub trait RedeliveryLog: RunLocks {
    /// Where the last complete scan of `app` let the next one stop.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn checkpoint(
        &self,
        app: i64,
    ) -> impl Future<Output = Result<Option<DateTime<Utc>>, StoreError>> + Send;

    /// # Errors
    /// [`StoreError`] when the database fails.
    fn save_checkpoint(
        &self,
        app: i64,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Those of `guids` that the delivery log holds.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn recorded(
        &self,
        guids: &[String],
    ) -> impl Future<Output = Result<HashSet<String>, StoreError>> + Send;

    /// ghfe's earlier redeliveries of those of `guids` it tried.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn tries(
        &self,
        guids: &[String],
    ) -> impl Future<Output = Result<HashMap<String, Tries>, StoreError>> + Send;

    /// Counts a redelivery of `guid` at `at`; `gave_up` when GitHub refused.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn record_try(
        &self,
        app: i64,
        guid: &str,
        at: DateTime<Utc>,
        gave_up: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
