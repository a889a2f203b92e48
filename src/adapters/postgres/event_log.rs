//! Reads of the delivery log for `/trace/*`.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::domain::ids::{EntityId, EventId, InstallationId};
use crate::ports::EventSummary;

use super::rows::EventSummaryRow;
use super::schema::{installation_events as events, jobs};

pub async fn events_for_entity(
    conn: &mut AsyncPgConnection,
    entity: EntityId,
    limit: usize,
) -> QueryResult<Vec<EventSummary>> {
    let mut rows: Vec<EventSummaryRow> = events::table
        .filter(events::entity_id.eq(entity.0))
        .order((events::received_at.desc(), events::id.desc()))
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .select(EventSummaryRow::as_select())
        .load(conn)
        .await?;
    rows.reverse();
    Ok(rows.into_iter().map(EventSummary::from).collect())
}

pub async fn entity_of_installation_events(
    conn: &mut AsyncPgConnection,
    installation: InstallationId,
) -> QueryResult<Option<EntityId>> {
    let entity: Option<Option<i64>> = events::table
        .filter(events::installation_id.eq(installation.0))
        .filter(events::entity_id.is_not_null())
        .order(events::id.desc())
        .select(events::entity_id)
        .first(conn)
        .await
        .optional()?;
    Ok(entity.flatten().map(EntityId))
}

pub async fn entity_of_installation_jobs(
    conn: &mut AsyncPgConnection,
    installation: InstallationId,
) -> QueryResult<Option<EntityId>> {
    let entity: Option<i64> = jobs::table
        .filter(jobs::installation_id.eq(installation.0))
        .order(jobs::created_at.desc())
        .select(jobs::entity_id)
        .first(conn)
        .await
        .optional()?;
    Ok(entity.map(EntityId))
}

pub async fn event_payload(
    conn: &mut AsyncPgConnection,
    event: EventId,
) -> QueryResult<Option<serde_json::Value>> {
    events::table
        .find(event.0)
        .select(events::payload)
        .first(conn)
        .await
        .optional()
}
