//! Row types and SQL type mappings between the domain and the tables.
// diesel's `Insertable` derive with `treat_none_as_default_value = false`
// expands to `&Option<&str>`, which this lint flags in generated code.
#![allow(clippy::ref_option_ref)]

use std::io::Write;

use chrono::{DateTime, Utc};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Jsonb;
use diesel::{Insertable, Queryable, Selectable};

use crate::domain::delivery::Entity;
use crate::domain::ids::{AppId, EntityId, EventId, InstallationId, JobId, RunId};
use crate::domain::job::{JobRow, JobStatus};
use crate::domain::run::RunReport;
use crate::ports::{EventRecord, EventSummary};

use super::schema::sql_types::StatusEnum;
use super::schema::{installation_events, jobs, workflow_runs};

/// A `status_enum` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = StatusEnum)]
pub struct Status(pub JobStatus);

impl ToSql<StatusEnum, Pg> for Status {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(self.0.as_str().as_bytes())?;
        Ok(IsNull::No)
    }
}

impl FromSql<StatusEnum, Pg> for Status {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        let text = std::str::from_utf8(bytes.as_bytes())?;
        JobStatus::parse(text)
            .map(Self)
            .ok_or_else(|| format!("unknown status_enum value {text:?}").into())
    }
}

/// JSON text that is already valid, sent as `jsonb` without re-encoding.
#[derive(Debug, Clone, Copy, AsExpression)]
#[diesel(sql_type = Jsonb)]
pub struct RawJson<'a>(pub &'a str);

impl ToSql<Jsonb, Pg> for RawJson<'_> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        // jsonb's binary format: a version byte, then the text.
        out.write_all(&[1])?;
        out.write_all(self.0.as_bytes())?;
        Ok(IsNull::No)
    }
}

/// A `jobs` row as read back.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = jobs)]
pub struct StoredJobRow {
    job_id: i64,
    status: Status,
    entity_id: i64,
    entity_name: String,
    entity_type: String,
    repo_full_name: String,
    installation_id: i64,
    job_labels: serde_json::Value,
    k8s_pool: String,
    k8s_image: String,
    priority: i32,
    k8s_pod: Option<String>,
    html_url: Option<String>,
    job_name: Option<String>,
    run_id: Option<i64>,
    job_conclusion: Option<String>,
    job_created_at: Option<DateTime<Utc>>,
    job_started_at: Option<DateTime<Utc>>,
    job_completed_at: Option<DateTime<Utc>>,
}

impl From<StoredJobRow> for JobRow {
    fn from(row: StoredJobRow) -> Self {
        let labels = row
            .job_labels
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str);
        Self {
            job_id: JobId(row.job_id),
            status: row.status.0,
            entity: Entity {
                kind: row.entity_type,
                id: EntityId(row.entity_id),
                name: row.entity_name,
            },
            repo_full_name: row.repo_full_name,
            installation_id: InstallationId(row.installation_id),
            labels: labels.collect(),
            k8s_pool: row.k8s_pool,
            k8s_image: row.k8s_image,
            priority: row.priority,
            k8s_pod: row.k8s_pod,
            html_url: row.html_url,
            job_name: row.job_name,
            run_id: row.run_id.map(RunId),
            job_conclusion: row.job_conclusion,
            job_created_at: row.job_created_at,
            job_started_at: row.job_started_at,
            job_completed_at: row.job_completed_at,
        }
    }
}

/// An `installation_events` insert. `None` binds NULL rather than writing
/// `DEFAULT`, so the SQL never varies and the statement stays prepared.
#[derive(Debug, Insertable)]
#[diesel(table_name = installation_events, treat_none_as_default_value = false)]
pub struct NewEventRow<'a> {
    source: &'static str,
    event: &'a str,
    outcome: &'a str,
    response: &'a str,
    delivery_id: Option<&'a str>,
    installation_id: Option<i64>,
    app_id: Option<i64>,
    entity_type: Option<&'a str>,
    entity_id: Option<i64>,
    entity_name: Option<&'a str>,
    job_id: Option<i64>,
    repo_full_name: Option<&'a str>,
    payload: RawJson<'a>,
}

impl<'a> NewEventRow<'a> {
    /// The row of `record` with its outcome and payload.
    pub fn new(
        record: &'a EventRecord,
        outcome: &'a str,
        response: &'a str,
        payload: RawJson<'a>,
    ) -> Self {
        Self {
            source: record.source.as_str(),
            event: &record.event,
            outcome,
            response,
            delivery_id: record.delivery_id.as_ref().map(|id| id.0.as_str()),
            installation_id: record.installation_id.map(|id| id.0),
            app_id: record.app_id.map(|id| id.0),
            entity_type: record.entity.as_ref().map(|e| e.kind.as_str()),
            entity_id: record.entity.as_ref().map(|e| e.id.0),
            entity_name: record.entity.as_ref().map(|e| e.name.as_str()),
            job_id: record.job_id.map(|id| id.0),
            repo_full_name: record.repo_full_name.as_deref(),
            payload,
        }
    }
}

/// An `installation_events` row without its payload.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = installation_events)]
pub struct EventSummaryRow {
    id: i64,
    source: String,
    event: String,
    outcome: String,
    delivery_id: Option<String>,
    installation_id: Option<i64>,
    app_id: Option<i64>,
    entity_type: Option<String>,
    entity_id: Option<i64>,
    entity_name: Option<String>,
    job_id: Option<i64>,
    repo_full_name: Option<String>,
    received_at: DateTime<Utc>,
    response: Option<String>,
}

impl From<EventSummaryRow> for EventSummary {
    fn from(row: EventSummaryRow) -> Self {
        Self {
            id: EventId(row.id),
            source: row.source,
            event: row.event,
            outcome: row.outcome,
            delivery_id: row.delivery_id,
            installation_id: row.installation_id.map(InstallationId),
            app_id: row.app_id.map(AppId),
            entity_type: row.entity_type,
            entity_id: row.entity_id.map(EntityId),
            entity_name: row.entity_name,
            job_id: row.job_id.map(JobId),
            repo_full_name: row.repo_full_name,
            received_at: row.received_at,
            response: row.response,
        }
    }
}

/// A `workflow_runs` upsert (`None` binds NULL, as for events).
#[derive(Debug, Insertable, diesel::AsChangeset)]
#[diesel(table_name = workflow_runs, treat_none_as_default_value = false)]
pub struct RunRow<'a> {
    run_id: i64,
    repo_full_name: &'a str,
    workflow_name: Option<&'a str>,
    head_branch: Option<&'a str>,
    head_sha: Option<&'a str>,
    event: Option<&'a str>,
    status: Option<&'a str>,
    conclusion: Option<&'a str>,
    entity_id: Option<i64>,
}

impl<'a> From<&'a RunReport> for RunRow<'a> {
    fn from(run: &'a RunReport) -> Self {
        Self {
            run_id: run.run_id.0,
            repo_full_name: &run.repo_full_name,
            workflow_name: run.workflow_name.as_deref(),
            head_branch: run.head_branch.as_deref(),
            head_sha: run.head_sha.as_deref(),
            event: run.event.as_deref(),
            status: run.status.as_deref(),
            conclusion: run.conclusion.as_deref(),
            entity_id: run.entity_id.map(|id| id.0),
        }
    }
}
