//! A `workflow_run` delivery: the forward-only upsert of its run and its
//! event row, in one transaction. Dedup rests on the unique index on
//! `delivery_id`: an event insert that conflicts means a duplicate, and the
//! transaction is rolled back.

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::upsert::DecoratableTarget;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::domain::ids::{DeliveryId, EventId};
use crate::domain::outcome::Outcome;
use crate::domain::run::{run_advances, RunReport};
use crate::ports::{Applied, EventRecord, PriorOutcome};

use super::rows::{NewEventRow, RawJson, RunRow};
use super::schema::{installation_events, workflow_runs};

/// Inserts the event row; `None` when its delivery id already has one.
async fn insert_event<C>(
    conn: &mut C,
    event: &EventRecord,
    outcome: &Outcome,
) -> QueryResult<Option<i64>>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    let response = outcome.message();
    diesel::insert_into(installation_events::table)
        .values(NewEventRow::new(
            event,
            outcome.code(),
            &response,
            RawJson(&event.payload),
        ))
        .on_conflict(installation_events::delivery_id)
        .filter_target(installation_events::delivery_id.is_not_null())
        .do_nothing()
        .returning(installation_events::id)
        .get_result(conn)
        .await
        .optional()
}

/// The outcome of the row that already holds `event`'s delivery id.
async fn duplicate(conn: &mut AsyncPgConnection, event: &EventRecord) -> QueryResult<Applied> {
    let Some(DeliveryId(id)) = &event.delivery_id else {
        unreachable!("only a delivery id can conflict")
    };
    let (code, response): (String, Option<String>) = installation_events::table
        .filter(installation_events::delivery_id.eq(id))
        .select((installation_events::outcome, installation_events::response))
        .first(conn)
        .await?;
    let message = response.unwrap_or_else(|| code.clone());
    Ok(Applied::Duplicate(PriorOutcome { code, message }))
}

enum Failure {
    Db(DieselError),
    Duplicate,
}

impl From<DieselError> for Failure {
    fn from(error: DieselError) -> Self {
        Self::Db(error)
    }
}

/// A `workflow_run` upsert and its event row in one transaction, rolled
/// back when the event row turns out to be a duplicate.
pub async fn apply_run(
    conn: &mut AsyncPgConnection,
    event: &EventRecord,
    run: &RunReport,
) -> QueryResult<Applied> {
    let outcome = Outcome::RunRecorded(run.run_id);
    let result = conn
        .transaction(async |conn| {
            upsert_run(conn, run).await?;
            insert_event(conn, event, &outcome)
                .await?
                .ok_or(Failure::Duplicate)
        })
        .await;
    match result {
        Ok(id) => Ok(Applied::Recorded {
            event_id: EventId(id),
            outcome,
        }),
        Err(Failure::Duplicate) => duplicate(conn, event).await,
        Err(Failure::Db(error)) => Err(error),
    }
}

/// Upserts a run unless that would move its status back.
async fn upsert_run(conn: &mut AsyncPgConnection, run: &RunReport) -> QueryResult<()> {
    let id = run.run_id.0;
    loop {
        let current: Option<Option<String>> = workflow_runs::table
            .find(id)
            .select(workflow_runs::status)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        match current {
            None => {
                let inserted = diesel::insert_into(workflow_runs::table)
                    .values(RunRow::from(run))
                    .on_conflict_do_nothing()
                    .execute(conn)
                    .await?;
                if inserted == 0 {
                    continue; // a concurrent delivery inserted it first
                }
            }
            Some(status) if run_advances(status.as_deref(), run.status.as_deref()) => {
                diesel::update(workflow_runs::table.find(id))
                    .set((
                        RunRow::from(run),
                        workflow_runs::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(conn)
                    .await?;
            }
            Some(_) => {}
        }
        return Ok(());
    }
}
