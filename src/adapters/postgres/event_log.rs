//! Reads of the delivery log for `/trace/*` and `/api/webhooks/*`.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::domain::event_query::EventQuery;
use crate::domain::ids::{EntityId, EventId, InstallationId};
use crate::ports::{EventCount, EventSummary, EventsPage};

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

/// `value` as a LIKE pattern that matches only itself.
fn like_literal(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The rows `query` filters to, as [`EventQuery::matches`] says.
fn matching(query: &EventQuery) -> events::BoxedQuery<'_, Pg> {
    let mut rows = events::table.into_boxed();
    if let Some(repository) = &query.repository {
        rows = rows.filter(events::repo_full_name.eq(repository));
    }
    if let Some(event) = &query.event {
        let actions = format!("{}.%", like_literal(event));
        rows = rows.filter(events::event.eq(event).or(events::event.like(actions)));
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

pub async fn search_events(
    conn: &mut AsyncPgConnection,
    query: &EventQuery,
) -> QueryResult<EventsPage> {
    let total: i64 = matching(query).count().get_result(conn).await?;
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
        total: u64::try_from(total).unwrap_or_default(),
    })
}

pub async fn count_events(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
) -> QueryResult<Vec<EventCount>> {
    let rows: Vec<(String, String, i64)> = events::table
        .filter(events::received_at.ge(since))
        .group_by((events::event, events::outcome))
        .select((events::event, events::outcome, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    let mut counts: Vec<EventCount> = rows
        .into_iter()
        .map(|(event, outcome, count)| EventCount {
            event,
            outcome,
            count: u64::try_from(count).unwrap_or_default(),
        })
        .collect();
    // Byte order, whatever the database's collation.
    counts.sort();
    Ok(counts)
}
