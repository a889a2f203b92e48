//! The delivery log read side, for `/trace/*`.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::domain::event_query::{EventFacts, EventQuery};
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
    /// The answer ghfe gave GitHub.
    pub response: Option<String>,
}

impl EventSummary {
    /// What an [`EventQuery`] matches this row on.
    pub fn facts(&self) -> EventFacts<'_> {
        EventFacts {
            repository: self.repo_full_name.as_deref(),
            event: &self.event,
            outcome: &self.outcome,
            entity_id: self.entity_id,
            entity_name: self.entity_name.as_deref(),
        }
    }
}

/// One page of listed rows and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsPage {
    pub events: Vec<EventSummary>,
    /// The matching rows, exactly when `total_exact`, else at least this
    /// many (a store may stop counting).
    pub total: u64,
    pub total_exact: bool,
}

/// How many rows have this event and outcome.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventCount {
    pub event: String,
    pub outcome: String,
    pub count: u64,
}

/// Reads of the delivery log.
pub trait EventLog: Send + Sync + 'static {
    /// The rows `query` matches, newest first, its page of them.
    ///
    /// # Errors
    /// As for [`super::JobStore::apply`].
    fn search_events(
        &self,
        query: &EventQuery,
    ) -> impl Future<Output = Result<EventsPage, StoreError>> + Send;

    /// Rows received at or after `since`, counted by event and outcome,
    /// ordered by event then outcome.
    ///
    /// # Errors
    /// As for [`super::JobStore::apply`].
    fn count_events(
        &self,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<EventCount>, StoreError>> + Send;

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

    /// The row of event `event`, if any.
    ///
    /// # Errors
    /// As for [`super::JobStore::apply`].
    fn find_event(
        &self,
        event: EventId,
    ) -> impl Future<Output = Result<Option<EventSummary>, StoreError>> + Send;

    /// The stored payload of event `event`.
    ///
    /// # Errors
    /// As for [`super::JobStore::apply`].
    fn event_payload(
        &self,
        event: EventId,
    ) -> impl Future<Output = Result<Option<serde_json::Value>, StoreError>> + Send;
}
