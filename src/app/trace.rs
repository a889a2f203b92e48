//! The trace use case: an entity's delivery log, found from an entity,
//! installation or job id, single stored payloads, and one delivery whole.

use crate::domain::ids::{EntityId, EventId, InstallationId, JobId};
use crate::domain::job::JobRow;
use crate::ports::{EventLog, EventSummary, JobStore, StoreError};

/// One delivery-log row with its payload and, for a job delivery, the job
/// as it stands now.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub summary: EventSummary,
    pub payload: serde_json::Value,
    pub job: Option<JobRow>,
}

/// At most this many events are returned (the newest ones, oldest first).
pub const MAX_TRACE_EVENTS: usize = 1000;

/// Reads the delivery log for `/trace/*`.
#[derive(Debug, Clone)]
pub struct Trace<S> {
    store: S,
}

impl<S: JobStore + EventLog> Trace<S> {
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// The events of `entity`.
    pub async fn entity_events(&self, entity: EntityId) -> Result<Vec<EventSummary>, StoreError> {
        self.store.events_for_entity(entity, MAX_TRACE_EVENTS).await
    }

    /// The events of `installation`'s entity (found from its events first,
    /// then its jobs); `None` when nothing names the installation.
    pub async fn installation_events(
        &self,
        installation: InstallationId,
    ) -> Result<Option<Vec<EventSummary>>, StoreError> {
        let entity = match self
            .store
            .entity_of_installation_events(installation)
            .await?
        {
            Some(entity) => Some(entity),
            None => self.store.entity_of_installation_jobs(installation).await?,
        };
        self.events_of(entity).await
    }

    /// The events of `job`'s entity, via `jobs.entity_id`; `None` for an
    /// unknown job.
    pub async fn job_events(&self, job: JobId) -> Result<Option<Vec<EventSummary>>, StoreError> {
        let entity = self.store.find_job(job).await?.map(|row| row.entity.id);
        self.events_of(entity).await
    }

    async fn events_of(
        &self,
        entity: Option<EntityId>,
    ) -> Result<Option<Vec<EventSummary>>, StoreError> {
        match entity {
            Some(entity) => Ok(Some(self.entity_events(entity).await?)),
            None => Ok(None),
        }
    }

    /// The row `event`, its payload and its job; `None` for an unknown id.
    pub async fn delivery(&self, event: EventId) -> Result<Option<Delivery>, StoreError> {
        let Some(summary) = self.store.find_event(event).await? else {
            return Ok(None);
        };
        let payload = self.store.event_payload(event).await?.unwrap_or_default();
        let job = match summary.job_id {
            Some(job) => self.store.find_job(job).await?,
            None => None,
        };
        Ok(Some(Delivery {
            summary,
            payload,
            job,
        }))
    }

    /// The stored payload of one event.
    pub async fn payload(&self, event: EventId) -> Result<Option<serde_json::Value>, StoreError> {
        self.store.event_payload(event).await
    }
}
