//! Applying one delivery on its own: the path of a lone delivery, of a
//! delivery whose batch failed, and of `workflow_run` deliveries.
//!
//! A job delivery is one statement (`statement.rs`), atomic by itself; a
//! delivery that changes nothing is one insert. Dedup rests on the unique
//! index on `delivery_id`: an event insert that conflicts means a duplicate.

use std::sync::Arc;

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::upsert::DecoratableTarget;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::domain::ids::{DeliveryId, EventId, JobId};
use crate::domain::job::{JobEffect, JobReport, JobStatus};
use crate::domain::outcome::Outcome;
use crate::domain::run::{run_advances, RunReport};
use crate::ports::{Applied, Change, DeliveryRecord, EventRecord, PriorOutcome};

use super::rows::{without_nul, NewEventRow, RawJson, RunRow};
use super::schema::{installation_events, workflow_runs};
use super::statement::{self, JobStatement};

/// A committed delivery and the job it made `pending`, if any.
#[derive(Debug)]
pub struct Committed {
    pub applied: Applied,
    pub new_pending: Option<JobId>,
}

/// A delivery ready to execute: its event row without the payload, the
/// payload (shared, so a retry does not copy it) and its change.
#[derive(Debug)]
pub struct Item {
    pub event: EventRecord,
    pub payload: Arc<str>,
    pub change: Change,
}

impl Item {
    /// The job the item changes, if any.
    pub fn job(&self) -> Option<JobId> {
        match &self.change {
            Change::Job(report) => Some(report.job_id),
            Change::Nothing(_) | Change::Run(_) => None,
        }
    }
}

impl From<DeliveryRecord> for Item {
    fn from(record: DeliveryRecord) -> Self {
        let DeliveryRecord { mut event, change } = record;
        let payload = Arc::from(without_nul(&std::mem::take(&mut event.payload)));
        Self {
            event,
            payload,
            change,
        }
    }
}

/// What executing an item's statement returned.
#[derive(Debug)]
pub enum Executed {
    /// A delivery without a job change: the event id, `None` if duplicate.
    Event(Option<i64>),
    Job(statement::Applied),
}

/// Sends the item's one statement (`Run` items are not executed this way).
pub async fn execute(mut conn: &AsyncPgConnection, item: &Item) -> QueryResult<Executed> {
    match &item.change {
        Change::Nothing(outcome) => {
            insert_event(&mut conn, &item.event, outcome, item.payload.clone())
                .await
                .map(Executed::Event)
        }
        Change::Job(report) => {
            let row = JobStatement::new(&item.event, item.payload.clone(), report)
                .get_result(&mut conn)
                .await?;
            Ok(Executed::Job(JobStatement::applied(row)))
        }
        Change::Run(_) => unreachable!("runs are applied in a transaction of their own"),
    }
}

/// Turns a committed statement's result into the answer; looks up the first
/// outcome of a duplicate, and runs a raced job delivery again.
pub async fn settle(
    conn: &mut AsyncPgConnection,
    item: &Item,
    executed: Executed,
) -> QueryResult<Committed> {
    match (executed, &item.change) {
        (Executed::Event(Some(id)), Change::Nothing(outcome)) => {
            Ok(recorded(id, outcome.clone(), None))
        }
        (Executed::Job(statement::Applied::Recorded { event_id, was }), Change::Job(report)) => {
            Ok(recorded(
                event_id,
                report.decide(was).outcome,
                newly_pending(report, was),
            ))
        }
        (Executed::Job(statement::Applied::Raced), Change::Job(_)) => {
            Box::pin(apply_one(conn, item)).await
        }
        _ => duplicate(conn, &item.event).await,
    }
}

fn newly_pending(report: &JobReport, was: Option<JobStatus>) -> Option<JobId> {
    (report.decide(was).effect == JobEffect::Insert(JobStatus::Pending)).then_some(report.job_id)
}

/// Applies one item on its own.
pub async fn apply_one(conn: &mut AsyncPgConnection, item: &Item) -> QueryResult<Committed> {
    if let Change::Run(run) = &item.change {
        return apply_run(conn, &item.event, item.payload.clone(), run).await;
    }
    let executed = execute(conn, item).await?;
    settle(conn, item, executed).await
}

fn recorded(id: i64, outcome: Outcome, new_pending: Option<JobId>) -> Committed {
    Committed {
        applied: Applied::Recorded {
            event_id: EventId(id),
            outcome,
        },
        new_pending,
    }
}

/// Inserts the event row; `None` when its delivery id already has one.
async fn insert_event<C>(
    conn: &mut C,
    event: &EventRecord,
    outcome: &Outcome,
    payload: Arc<str>,
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
            RawJson(payload),
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
async fn duplicate(conn: &mut AsyncPgConnection, event: &EventRecord) -> QueryResult<Committed> {
    let Some(DeliveryId(id)) = &event.delivery_id else {
        unreachable!("only a delivery id can conflict")
    };
    let (code, response): (String, Option<String>) = installation_events::table
        .filter(installation_events::delivery_id.eq(id))
        .select((installation_events::outcome, installation_events::response))
        .first(conn)
        .await?;
    let message = response.unwrap_or_else(|| code.clone());
    Ok(Committed {
        applied: Applied::Duplicate(PriorOutcome { code, message }),
        new_pending: None,
    })
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
async fn apply_run(
    conn: &mut AsyncPgConnection,
    event: &EventRecord,
    payload: Arc<str>,
    run: &RunReport,
) -> QueryResult<Committed> {
    let outcome = Outcome::RunRecorded(run.run_id);
    let result = conn
        .transaction(async |conn| {
            upsert_run(conn, run).await?;
            insert_event(conn, event, &outcome, payload)
                .await?
                .ok_or(Failure::Duplicate)
        })
        .await;
    match result {
        Ok(id) => Ok(recorded(id, outcome, None)),
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
