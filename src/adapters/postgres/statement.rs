//! One `workflow_job` delivery as one SQL statement: the delivery-id guard,
//! the job change and the event row, so deliveries can be pipelined and
//! committed together (see `batch.rs`).
//!
//! The domain still decides everything: the statement receives, for each
//! status the row may turn out to have (none, pending, running, completed,
//! failed), the outcome to record, plus the statuses a transition advances
//! from and the row to insert when there is none. SQL only picks the entry
//! that matches the locked row.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Integer, Jsonb, Nullable, Text, Timestamptz};
use diesel::QueryResult;

use crate::domain::job::{JobEffect, JobReport, JobRow, JobStatus};

use crate::ports::EventRecord;

use super::rows::RawJson;

/// The row's possible states, in the order of the outcome table.
pub(super) const STATES: [Option<JobStatus>; 5] = [
    None,
    Some(JobStatus::Pending),
    Some(JobStatus::Running),
    Some(JobStatus::Completed),
    Some(JobStatus::Failed),
];

/// What the statement found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The event row was written; `was` is the status before.
    Recorded {
        event_id: i64,
        was: Option<JobStatus>,
    },
    /// The delivery id already had a row: nothing changed.
    Duplicate,
    /// No row existed, but a concurrent delivery inserted the job before
    /// this one could: nothing was written; run it again.
    Raced,
}

/// The statement for one job delivery; every bind is owned here, as
/// diesel binds by reference.
#[derive(Debug)]
pub struct JobStatement {
    pub(super) job_id: i64,
    pub(super) event: EventBinds,
    /// Per state of [`STATES`]: outcome code and response text.
    pub(super) codes: [&'static str; 5],
    pub(super) messages: [String; 5],
    /// The transition the report can make, and from which statuses.
    pub(super) mark_to: &'static str,
    pub(super) advance_from: Vec<&'static str>,
    pub(super) progress_pod: Option<String>,
    pub(super) progress_started: Option<DateTime<Utc>>,
    pub(super) progress_conclusion: Option<String>,
    pub(super) progress_completed: Option<DateTime<Utc>>,
    /// Whether a row is inserted when there is none, and its values.
    pub(super) inserting: bool,
    pub(super) row: InsertBinds,
}

#[derive(Debug)]
pub(super) struct EventBinds {
    pub(super) event: String,
    pub(super) delivery_id: Option<String>,
    pub(super) installation_id: Option<i64>,
    pub(super) app_id: Option<i64>,
    pub(super) entity_type: Option<String>,
    pub(super) entity_id: Option<i64>,
    pub(super) entity_name: Option<String>,
    pub(super) job_id: Option<i64>,
    pub(super) repo_full_name: Option<String>,
    pub(super) payload: RawJson,
}

#[derive(Debug, Default)]
pub(super) struct InsertBinds {
    pub(super) status: Option<&'static str>,
    pub(super) entity_id: Option<i64>,
    pub(super) entity_name: Option<String>,
    pub(super) entity_type: Option<String>,
    pub(super) repo_full_name: Option<String>,
    pub(super) installation_id: Option<i64>,
    pub(super) labels: Option<serde_json::Value>,
    pub(super) k8s_pool: Option<String>,
    pub(super) k8s_image: Option<String>,
    pub(super) k8s_pod: Option<String>,
    pub(super) html_url: Option<String>,
    pub(super) job_name: Option<String>,
    pub(super) run_id: Option<i64>,
    pub(super) priority: Option<i32>,
    pub(super) job_conclusion: Option<String>,
    pub(super) job_created_at: Option<DateTime<Utc>>,
    pub(super) job_started_at: Option<DateTime<Utc>>,
    pub(super) job_completed_at: Option<DateTime<Utc>>,
}

impl From<JobRow> for InsertBinds {
    fn from(row: JobRow) -> Self {
        Self {
            status: Some(row.status.as_str()),
            entity_id: Some(row.entity.id.0),
            entity_name: Some(row.entity.name),
            entity_type: Some(row.entity.kind),
            repo_full_name: Some(row.repo_full_name),
            installation_id: Some(row.installation_id.0),
            labels: Some(row.labels.iter().collect()),
            k8s_pool: Some(row.k8s_pool),
            k8s_image: Some(row.k8s_image),
            k8s_pod: row.k8s_pod,
            html_url: row.html_url,
            job_name: row.job_name,
            run_id: row.run_id.map(|id| id.0),
            priority: Some(row.priority),
            job_conclusion: row.job_conclusion,
            job_created_at: row.job_created_at,
            job_started_at: row.job_started_at,
            job_completed_at: row.job_completed_at,
        }
    }
}

impl JobStatement {
    pub fn new(event: &EventRecord, payload: std::sync::Arc<str>, report: &JobReport) -> Self {
        let decisions = STATES.map(|state| report.decide(state));
        let mut advance_from = Vec::new();
        let mut mark = None;
        for (state, decision) in STATES.iter().zip(&decisions) {
            if let (Some(status), JobEffect::MarkRunning | JobEffect::MarkCompleted) =
                (state, decision.effect)
            {
                advance_from.push(status.as_str());
                mark = Some(decision.effect);
            }
        }
        let row = match decisions[0].effect {
            JobEffect::Insert(status) => report.new_row(status),
            _ => None,
        };
        let progress = report.progress();
        let completing = mark == Some(JobEffect::MarkCompleted);
        Self {
            job_id: report.job_id.0,
            event: EventBinds {
                event: event.event.clone(),
                delivery_id: event.delivery_id.as_ref().map(|id| id.0.clone()),
                installation_id: event.installation_id.map(|id| id.0),
                app_id: event.app_id.map(|id| id.0),
                entity_type: event.entity.as_ref().map(|e| e.kind.clone()),
                entity_id: event.entity.as_ref().map(|e| e.id.0),
                entity_name: event.entity.as_ref().map(|e| e.name.clone()),
                job_id: event.job_id.map(|id| id.0),
                repo_full_name: event.repo_full_name.clone(),
                payload: RawJson(payload),
            },
            codes: decisions.each_ref().map(|d| d.outcome.code()),
            messages: decisions.each_ref().map(|d| d.outcome.message()),
            mark_to: if completing { "completed" } else { "running" },
            advance_from,
            progress_pod: progress.k8s_pod,
            progress_started: progress.started_at,
            progress_conclusion: progress.conclusion.filter(|_| completing),
            progress_completed: progress.completed_at.filter(|_| completing),
            inserting: row.is_some(),
            row: row.map(InsertBinds::from).unwrap_or_default(),
        }
    }

    /// Interprets the statement's result row.
    pub fn applied(row: ResultRow) -> Applied {
        match row {
            (_, true, _) => Applied::Raced,
            (None, false, _) => Applied::Duplicate,
            (Some(event_id), false, was) => Applied::Recorded {
                event_id,
                was: was.as_deref().and_then(JobStatus::parse),
            },
        }
    }
}

/// What the statement returns: the event id, whether the insert raced,
/// and the status found.
pub type ResultRow = (Option<i64>, bool, Option<String>);

/// The cache key of the prepared statement.
#[derive(Debug)]
pub struct JobStatementId;

impl QueryId for JobStatement {
    type QueryId = JobStatementId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for JobStatement {
    type SqlType = (Nullable<BigInt>, Bool, Nullable<Text>);
}

/// Writes `CASE <status of cur> WHEN 'pending' THEN … ELSE … END`.
fn by_state<'b, T: diesel::serialize::ToSql<Text, Pg>>(
    out: &mut AstPass<'_, 'b, Pg>,
    values: &'b [T; 5],
) -> QueryResult<()> {
    out.push_sql("CASE (SELECT status::text FROM cur)");
    for (state, value) in STATES.iter().zip(values).skip(1) {
        out.push_sql(" WHEN '");
        out.push_sql(state.map_or("", JobStatus::as_str));
        out.push_sql("' THEN ");
        out.push_bind_param::<Text, _>(value)?;
    }
    out.push_sql(" ELSE ");
    out.push_bind_param::<Text, _>(&values[0])?;
    out.push_sql(" END");
    Ok(())
}

impl JobStatement {
    /// `seen`, `cur` and `upd`: the dedup guard, the locked row and the
    /// transition.
    fn write_update<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH seen AS (SELECT 1 FROM installation_events WHERE delivery_id = ");
        out.push_bind_param::<Nullable<Text>, _>(&self.event.delivery_id)?;
        out.push_sql("), cur AS (SELECT status FROM jobs WHERE job_id = ");
        out.push_bind_param::<BigInt, _>(&self.job_id)?;
        out.push_sql(" FOR UPDATE), upd AS (UPDATE jobs SET status = CAST(");
        out.push_bind_param::<Text, _>(&self.mark_to)?;
        out.push_sql(" AS status_enum), k8s_pod = coalesce(jobs.k8s_pod, ");
        out.push_bind_param::<Nullable<Text>, _>(&self.progress_pod)?;
        out.push_sql("), job_started_at = coalesce(jobs.job_started_at, ");
        out.push_bind_param::<Nullable<Timestamptz>, _>(&self.progress_started)?;
        out.push_sql("), job_conclusion = coalesce(");
        out.push_bind_param::<Nullable<Text>, _>(&self.progress_conclusion)?;
        out.push_sql(", jobs.job_conclusion), job_completed_at = coalesce(");
        out.push_bind_param::<Nullable<Timestamptz>, _>(&self.progress_completed)?;
        out.push_sql(", jobs.job_completed_at), updated_at = now() FROM cur WHERE jobs.job_id = ");
        out.push_bind_param::<BigInt, _>(&self.job_id)?;
        out.push_sql(" AND cur.status::text = ANY(");
        out.push_bind_param::<Array<Text>, _>(&self.advance_from)?;
        out.push_sql(") AND NOT EXISTS (SELECT 1 FROM seen) RETURNING 1)");
        Ok(())
    }

    /// `ins` and `flags`: the row inserted when there is none, and whether a
    /// concurrent delivery inserted it first.
    fn write_insert<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let row = &self.row;
        out.push_sql(
            ", ins AS (INSERT INTO jobs (job_id, status, provider, entity_id, entity_name, entity_type, \
             repo_full_name, installation_id, job_labels, k8s_pool, k8s_image, k8s_pod, html_url, job_name, \
             run_id, priority, job_conclusion, job_created_at, job_started_at, job_completed_at) SELECT ",
        );
        out.push_bind_param::<BigInt, _>(&self.job_id)?;
        out.push_sql(", CAST(");
        out.push_bind_param::<Nullable<Text>, _>(&row.status)?;
        out.push_sql(" AS status_enum), 'github'::provider_enum, ");
        out.push_bind_param::<Nullable<BigInt>, _>(&row.entity_id)?;
        for text in [&row.entity_name, &row.entity_type, &row.repo_full_name] {
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Text>, _>(text)?;
        }
        out.push_sql(", ");
        out.push_bind_param::<Nullable<BigInt>, _>(&row.installation_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Jsonb>, _>(&row.labels)?;
        for text in [
            &row.k8s_pool,
            &row.k8s_image,
            &row.k8s_pod,
            &row.html_url,
            &row.job_name,
        ] {
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Text>, _>(text)?;
        }
        out.push_sql(", ");
        out.push_bind_param::<Nullable<BigInt>, _>(&row.run_id)?;
        out.push_sql(", coalesce(");
        out.push_bind_param::<Nullable<Integer>, _>(&row.priority)?;
        out.push_sql(", 0), ");
        out.push_bind_param::<Nullable<Text>, _>(&row.job_conclusion)?;
        for time in [
            &row.job_created_at,
            &row.job_started_at,
            &row.job_completed_at,
        ] {
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Timestamptz>, _>(time)?;
        }
        out.push_sql(" WHERE ");
        out.push_bind_param::<Bool, _>(&self.inserting)?;
        out.push_sql(
            " AND NOT EXISTS (SELECT 1 FROM cur) AND NOT EXISTS (SELECT 1 FROM seen) ON CONFLICT DO NOTHING \
             RETURNING 1), flags AS (SELECT ",
        );
        out.push_bind_param::<Bool, _>(&self.inserting)?;
        out.push_sql(
            " AND NOT EXISTS (SELECT 1 FROM cur) AND NOT EXISTS (SELECT 1 FROM seen) \
             AND NOT EXISTS (SELECT 1 FROM ins) AS raced)",
        );
        Ok(())
    }

    /// `ev` and the result row: the event row with the outcome for the
    /// status found, unless the insert raced or the delivery is a duplicate.
    fn write_event<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let event = &self.event;
        out.push_sql(
            ", ev AS (INSERT INTO installation_events (source, event, outcome, response, delivery_id, \
             installation_id, app_id, entity_type, entity_id, entity_name, job_id, repo_full_name, payload) \
             SELECT 'webhook', ",
        );
        out.push_bind_param::<Text, _>(&event.event)?;
        out.push_sql(", ");
        by_state(out, &self.codes)?;
        out.push_sql(", ");
        by_state(out, &self.messages)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&event.delivery_id)?;
        for id in [&event.installation_id, &event.app_id] {
            out.push_sql(", ");
            out.push_bind_param::<Nullable<BigInt>, _>(id)?;
        }
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&event.entity_type)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<BigInt>, _>(&event.entity_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&event.entity_name)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<BigInt>, _>(&event.job_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&event.repo_full_name)?;
        out.push_sql(", ");
        out.push_bind_param::<Jsonb, _>(&event.payload)?;
        out.push_sql(
            " FROM flags WHERE NOT flags.raced ON CONFLICT (delivery_id) WHERE delivery_id IS NOT NULL DO NOTHING \
             RETURNING id) SELECT (SELECT id FROM ev), (SELECT raced FROM flags), (SELECT status::text FROM cur)",
        );
        Ok(())
    }
}

impl QueryFragment<Pg> for JobStatement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.write_update(&mut out)?;
        self.write_insert(&mut out)?;
        self.write_event(&mut out)
    }
}
