//! The trace use case (SPEC §5): an entity's delivery log, found from an
//! entity, installation or job id.

use crate::domain::ids::{EntityId, EventId, InstallationId, JobId};
use crate::ports::{EventLog, EventSummary, JobStore, StoreError};

/// At most this many events are returned (the newest ones, oldest first).
pub const MAX_TRACE_EVENTS: usize = 1000;

/// The events of `entity`.
pub async fn entity_events<S: EventLog>(
    store: &S,
    entity: EntityId,
) -> Result<Vec<EventSummary>, StoreError> {
    store.events_for_entity(entity, MAX_TRACE_EVENTS).await
}

/// The entity of `installation`: from its events first, then its jobs.
pub async fn installation_entity<S: EventLog>(
    store: &S,
    installation: InstallationId,
) -> Result<Option<EntityId>, StoreError> {
    if let Some(entity) = store.entity_of_installation_events(installation).await? {
        return Ok(Some(entity));
    }
    store.entity_of_installation_jobs(installation).await
}

/// The entity of `job`, via `jobs.entity_id`.
pub async fn job_entity<S: JobStore>(
    store: &S,
    job: JobId,
) -> Result<Option<EntityId>, StoreError> {
    Ok(store.find_job(job).await?.map(|row| row.entity.id))
}

/// The stored payload of one event.
pub async fn payload<S: EventLog>(
    store: &S,
    event: EventId,
) -> Result<Option<serde_json::Value>, StoreError> {
    store.event_payload(event).await
}
