//! Applying one delivery: the job or run change and its event row commit
//! together, or nothing does.
//!
//! Dedup is enforced by the unique index on `delivery_id`: the event row is
//! inserted last with `ON CONFLICT DO NOTHING`; when it conflicts, the
//! transaction rolls back and the first attempt's outcome is returned. A
//! concurrent duplicate waits on the index entry of the first attempt, so
//! exactly one of them commits.

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::upsert::DecoratableTarget;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::domain::ids::{DeliveryId, EventId, JobId};
use crate::domain::job::{JobEffect, JobReport, JobStatus};
use crate::domain::outcome::Outcome;
use crate::domain::run::{run_advances, RunReport};
use crate::ports::{Applied, Change, DeliveryRecord, EventRecord, PriorOutcome};

use super::rows::{NewEventRow, NewJobRow, RunRow, Status};
use super::schema::{installation_events, jobs, workflow_runs};

diesel::define_sql_function! {
    /// SQL `COALESCE(a, b)`.
    fn coalesce<T: diesel::sql_types::SqlType + diesel::sql_types::SingleValue>(
        a: diesel::sql_types::Nullable<T>,
        b: diesel::sql_types::Nullable<T>,
    ) -> diesel::sql_types::Nullable<T>;
}

/// A committed delivery and the job it made `pending`, if any.
#[derive(Debug)]
pub struct Committed {
    pub applied: Applied,
    pub new_pending: Option<JobId>,
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

/// Applies `record` on `conn` (see the module comment).
pub async fn apply(conn: &mut AsyncPgConnection, record: DeliveryRecord) -> QueryResult<Committed> {
    let DeliveryRecord { mut event, change } = record;
    let payload = std::mem::take(&mut event.payload);
    if let Change::Nothing(outcome) = change {
        // A lone insert is atomic by itself: no transaction round trips.
        return match insert_event(conn, &event, &outcome, payload).await? {
            Some(id) => Ok(recorded(id, outcome, None)),
            None => duplicate(conn, &event).await,
        };
    }
    let result = conn
        .transaction(async |conn| {
            let (outcome, new_pending) = match &change {
                Change::Job(report) => apply_job(conn, report).await?,
                Change::Run(run) => (apply_run(conn, run).await?, None),
                Change::Nothing(_) => unreachable!("handled above"),
            };
            match insert_event(conn, &event, &outcome, payload).await? {
                Some(id) => Ok((id, outcome, new_pending)),
                None => Err(Failure::Duplicate),
            }
        })
        .await;
    match result {
        Ok((id, outcome, new_pending)) => Ok(recorded(id, outcome, new_pending)),
        Err(Failure::Duplicate) => duplicate(conn, &event).await,
        Err(Failure::Db(error)) => Err(error),
    }
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
async fn insert_event(
    conn: &mut AsyncPgConnection,
    event: &EventRecord,
    outcome: &Outcome,
    payload: String,
) -> QueryResult<Option<i64>> {
    let response = outcome.message();
    diesel::insert_into(installation_events::table)
        .values(NewEventRow::new(event, outcome.code(), &response, payload))
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

/// Decides against the locked row and applies the effect. When a
/// concurrent delivery inserts the job first, the insert does nothing and
/// the decision is taken again with the row it committed.
async fn apply_job(
    conn: &mut AsyncPgConnection,
    report: &JobReport,
) -> QueryResult<(Outcome, Option<JobId>)> {
    let id = report.job_id.0;
    loop {
        let current: Option<Status> = jobs::table
            .find(id)
            .select(jobs::status)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let decision = report.decide(current.map(|status| status.0));
        let progress = report.progress();
        match decision.effect {
            JobEffect::Nothing => {}
            JobEffect::Insert(status) => {
                let row = report
                    .new_row(status)
                    .expect("insert is decided only for insertable reports");
                let inserted = diesel::insert_into(jobs::table)
                    .values(NewJobRow::from(&row))
                    .on_conflict_do_nothing()
                    .execute(conn)
                    .await?;
                if inserted == 0 {
                    continue;
                }
                return Ok((
                    decision.outcome,
                    (status == JobStatus::Pending).then_some(report.job_id),
                ));
            }
            JobEffect::MarkRunning => {
                diesel::update(jobs::table.find(id))
                    .set((
                        jobs::status.eq(Status(JobStatus::Running)),
                        jobs::k8s_pod.eq(coalesce(jobs::k8s_pod, progress.k8s_pod)),
                        jobs::job_started_at
                            .eq(coalesce(jobs::job_started_at, progress.started_at)),
                        jobs::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(conn)
                    .await?;
            }
            JobEffect::MarkCompleted => {
                diesel::update(jobs::table.find(id))
                    .set((
                        jobs::status.eq(Status(JobStatus::Completed)),
                        jobs::k8s_pod.eq(coalesce(jobs::k8s_pod, progress.k8s_pod)),
                        jobs::job_started_at
                            .eq(coalesce(jobs::job_started_at, progress.started_at)),
                        jobs::job_conclusion
                            .eq(coalesce(progress.conclusion, jobs::job_conclusion)),
                        jobs::job_completed_at
                            .eq(coalesce(progress.completed_at, jobs::job_completed_at)),
                        jobs::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(conn)
                    .await?;
            }
        }
        return Ok((decision.outcome, None));
    }
}

/// Upserts a run unless that would move its status back.
async fn apply_run(conn: &mut AsyncPgConnection, run: &RunReport) -> QueryResult<Outcome> {
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
                    continue;
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
        return Ok(Outcome::RunRecorded(run.run_id));
    }
}
