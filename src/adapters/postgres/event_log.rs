//! Reads of the delivery log for `/trace/*` and `/api/webhooks/*`.

use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::domain::event_query::EventQuery;
use crate::domain::ids::{EntityId, EventId, InstallationId};
use crate::ports::{EventSummary, EventsPage};

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

pub async fn find_event(
    conn: &mut AsyncPgConnection,
    event: EventId,
) -> QueryResult<Option<EventSummary>> {
    let row: Option<EventSummaryRow> = events::table
        .find(event.0)
        .select(EventSummaryRow::as_select())
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(EventSummary::from))
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

/// The rows `query` filters to, as [`EventQuery::matches`] says.
fn matching(query: &EventQuery) -> events::BoxedQuery<'_, Pg> {
    let mut rows = events::table.into_boxed();
    if let Some(repository) = &query.repository {
        rows = rows.filter(events::repo_full_name.eq(repository));
    }
    if let Some(event) = &query.event {
        // The family (before the first dot) is indexed: `workflow_job`
        // matches the family, `workflow_job.queued` that one action of it.
        let family = event.split('.').next().unwrap_or_default().to_owned();
        rows = rows.filter(sql::<Bool>("split_part(event, '.', 1) = ").bind::<Text, _>(family));
        if event.contains('.') {
            rows = rows.filter(events::event.eq(event));
        }
    }
    if let Some(outcome) = &query.outcome {
        rows = rows.filter(events::outcome.eq(outcome));
    }
    if let Some(entity) = query.entity_id {
        rows = rows.filter(events::entity_id.eq(entity.0));
    }
    if let Some(account) = &query.account {
        rows = rows.filter(events::entity_name.eq(account));
    }
    rows
}

/// Matching rows are counted up to this many; beyond, the total says
/// "at least".
pub const TOTAL_CAP: i64 = 10_000;

pub async fn search_events(
    conn: &mut AsyncPgConnection,
    query: &EventQuery,
) -> QueryResult<EventsPage> {
    // Exact up to a cap, so a count never scans the whole log.
    let counted: Vec<i64> = matching(query)
        .order(events::id.desc())
        .select(events::id)
        .limit(TOTAL_CAP + 1)
        .load(conn)
        .await?;
    let total = counted
        .len()
        .min(usize::try_from(TOTAL_CAP).unwrap_or(usize::MAX));
    let mut listed = matching(query);
    if let Some(before) = query.before {
        listed = listed.filter(events::id.lt(before.0));
    }
    let rows: Vec<EventSummaryRow> = listed
        .order(events::id.desc())
        .limit(i64::try_from(query.limit).unwrap_or(i64::MAX))
        .offset(i64::try_from(query.offset).unwrap_or(i64::MAX))
        .select(EventSummaryRow::as_select())
        .load(conn)
        .await?;
    Ok(EventsPage {
        events: rows.into_iter().map(EventSummary::from).collect(),
        total: total as u64,
        total_exact: counted.len() <= total,
    })
}
