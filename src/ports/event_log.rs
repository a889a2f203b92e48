//! The delivery log read side, for `/trace/*` (SPEC §5).

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::domain::ids::{AppId, EntityId, EventId, InstallationId, JobId};

use super::job_store::StoreError;

/// One `installation_events` row without its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSummary {
    pub id: EventId,
    pub source: String,
    pub event: String,
    pub outcome: String,
    pub delivery_id: Option<String>,
    pub installation_id: Option<InstallationId>,
    pub app_id: Option<AppId>,
    pub entity_type: Option<String>,
    pub entity_id: Option<EntityId>,
    pub entity_name: Option<String>,
    pub job_id: Option<JobId>,
    pub repo_full_name: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// Reads of the delivery log.
pub trait EventLog: Send + Sync + 'static {
    /// The newest `limit` events of `entity`, returned oldest first.
    ///
    /// # Errors
    /// As for [`super::JobStore::apply`].
    fn events_for_entity(
        &self,
        entity: EntityId,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<EventSummary>, StoreError>> + Send;

    /// The entity of the newest event row of `installation` that names one.
    ///
    /// # Errors
    /// As for [`super::JobStore::apply`].
    fn entity_of_installation_events(
        &self,
        installation: InstallationId,
    ) -> impl Future<Output = Result<Option<EntityId>, StoreError>> + Send;

    /// The entity of the newest job of `installation`.
    ///
    /// # Errors
    /// As for [`super::JobStore::apply`].
    fn entity_of_installation_jobs(
        &self,
        installation: InstallationId,
    ) -> impl Future<Output = Result<Option<EntityId>, StoreError>> + Send;

    /// The stored payload of event `event`.
    ///
    /// # Errors
    /// As for [`super::JobStore::apply`].
    fn event_payload(
        &self,
        event: EventId,
    ) -> impl Future<Output = Result<Option<serde_json::Value>, StoreError>> + Send;
}
