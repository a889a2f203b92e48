//! Reads for `/usage` and `/history`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::domain::delivery::Entity;
use crate::domain::history::HistoryQuery;
use crate::domain::ids::{EntityId, EventId, JobId};
use crate::domain::job::JobStatus;
use crate::domain::labels::LabelSet;
use crate::ports::{HistoryPage, IgnoredJob, JobListing, WorkerListing};

use super::rows::Status;
use super::schema::{jobs, workers};

/// At most this many active jobs or workers are read for `/usage`.
const ACTIVE_LIMIT: i64 = 10_000;

fn labels(value: Option<&serde_json::Value>) -> LabelSet {
    value
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
        .collect()
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = jobs)]
struct JobListingRow {
    job_id: i64,
    status: Status,
    entity_id: i64,
    entity_name: String,
    entity_type: String,
    repo_full_name: String,
    job_labels: serde_json::Value,
    k8s_pool: String,
    k8s_image: String,
    k8s_pod: Option<String>,
    html_url: Option<String>,
    job_name: Option<String>,
    job_conclusion: Option<String>,
    created_at: DateTime<Utc>,
    job_created_at: Option<DateTime<Utc>>,
    job_started_at: Option<DateTime<Utc>>,
    job_completed_at: Option<DateTime<Utc>>,
}

impl From<JobListingRow> for JobListing {
    fn from(row: JobListingRow) -> Self {
        Self {
            job_id: JobId(row.job_id),
            status: row.status.0,
            entity: Entity {
                kind: row.entity_type,
                id: EntityId(row.entity_id),
                name: row.entity_name,
            },
            repo_full_name: row.repo_full_name,
            labels: labels(Some(&row.job_labels)),
            k8s_pool: row.k8s_pool,
            k8s_image: row.k8s_image,
            k8s_pod: row.k8s_pod,
            html_url: row.html_url,
            job_name: row.job_name,
            job_conclusion: row.job_conclusion,
            created_at: row.created_at,
            github_created_at: row.job_created_at,
            started_at: row.job_started_at,
            completed_at: row.job_completed_at,
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = workers)]
struct WorkerListingRow {
    pod_name: String,
    status: Status,
    entity_id: Option<i64>,
    entity_name: Option<String>,
    entity_type: Option<String>,
    job_labels: Option<serde_json::Value>,
    k8s_pool: Option<String>,
    k8s_node: Option<String>,
    failure_info: Option<serde_json::Value>,
    created_at: DateTime<Utc>,
}

impl From<WorkerListingRow> for WorkerListing {
    fn from(row: WorkerListingRow) -> Self {
        Self {
            pod_name: row.pod_name,
            status: row.status.0,
            entity_id: row.entity_id.map(EntityId),
            entity_name: row.entity_name,
            entity_type: row.entity_type,
            labels: labels(row.job_labels.as_ref()),
            k8s_pool: row.k8s_pool,
            k8s_node: row.k8s_node,
            failure_info: row.failure_info,
            created_at: row.created_at,
        }
    }
}

pub async fn active_jobs(conn: &mut AsyncPgConnection) -> QueryResult<Vec<JobListing>> {
    let rows: Vec<JobListingRow> = jobs::table
        .filter(jobs::status.ne(Status(JobStatus::Completed)))
        .filter(jobs::status.ne(Status(JobStatus::Failed)))
        .order((jobs::created_at, jobs::job_id))
        .limit(ACTIVE_LIMIT)
        .select(JobListingRow::as_select())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(JobListing::from).collect())
}

pub async fn active_workers(
    conn: &mut AsyncPgConnection,
    failed_since: DateTime<Utc>,
) -> QueryResult<Vec<WorkerListing>> {
    let active = workers::status
        .eq(Status(JobStatus::Pending))
        .or(workers::status.eq(Status(JobStatus::Running)));
    let failed = workers::status
        .eq(Status(JobStatus::Failed))
        .and(workers::updated_at.ge(failed_since));
    let rows: Vec<WorkerListingRow> = workers::table
        .filter(active.or(failed))
        .order((workers::created_at, workers::pod_name))
        .limit(ACTIVE_LIMIT)
        .select(WorkerListingRow::as_select())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(WorkerListing::from).collect())
}

pub async fn history(
    conn: &mut AsyncPgConnection,
    query: &HistoryQuery,
) -> QueryResult<HistoryPage> {
    let window = || {
        let mut filtered = jobs::table.into_boxed();
        if let Some(from) = query.from {
            filtered = filtered.filter(jobs::created_at.ge(from));
        }
        if let Some(until) = query.until {
            filtered = filtered.filter(jobs::created_at.lt(until));
        }
        let only = &query.filters;
        if let Some(account) = &only.account {
            filtered = filtered.filter(jobs::entity_name.eq(account));
        }
        if let Some(repository) = &only.repository {
            filtered = filtered.filter(jobs::repo_full_name.eq(repository));
        }
        if let Some(pool) = &only.pool {
            filtered = filtered.filter(jobs::k8s_pool.eq(pool));
        }
        if let Some(status) = only.status {
            filtered = filtered.filter(jobs::status.eq(Status(status)));
        }
        if let Some(conclusion) = &only.conclusion {
            filtered = filtered.filter(jobs::job_conclusion.eq(conclusion));
        }
        filtered
    };
    let total: i64 = window().count().get_result(conn).await?;
    let rows: Vec<JobListingRow> = window()
        .order((jobs::created_at.desc(), jobs::job_id.desc()))
        .offset(i64::try_from(query.offset()).unwrap_or(i64::MAX))
        .limit(i64::try_from(query.per_page).unwrap_or(i64::MAX))
        .select(JobListingRow::as_select())
        .load(conn)
        .await?;
    Ok(HistoryPage {
        jobs: rows.into_iter().map(JobListing::from).collect(),
        total: u64::try_from(total).unwrap_or(0),
    })
}

/// Active demand of one pool, for the metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolDemand {
    pub pool: String,
    pub pending: i64,
    pub running: i64,
    /// Seconds since the oldest pending job was stored; 0 when none.
    pub oldest_pending_seconds: f64,
}

#[derive(QueryableByName)]
struct PoolRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pool: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pending: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    running: i64,
    #[diesel(sql_type = diesel::sql_types::Double)]
    oldest: f64,
}

/// Pending and running jobs per pool, from the active-jobs index.
pub async fn pool_demand(conn: &mut AsyncPgConnection) -> QueryResult<Vec<PoolDemand>> {
    let rows: Vec<PoolRow> = diesel::sql_query(
        "SELECT k8s_pool AS pool, \
                count(*) FILTER (WHERE status = 'pending') AS pending, \
                count(*) FILTER (WHERE status = 'running') AS running, \
                coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending')), 0)::float8 AS oldest \
         FROM jobs WHERE status <> 'completed' AND status <> 'failed' GROUP BY k8s_pool",
    )
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| PoolDemand {
            pool: row.pool,
            pending: row.pending,
            running: row.running,
            oldest_pending_seconds: row.oldest,
        })
        .collect())
}

#[derive(QueryableByName)]
struct IgnoredRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    received_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    repo_full_name: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    job_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Jsonb>)]
    labels: Option<serde_json::Value>,
}

/// Job deliveries no routing rule matched, newest first (from the time
/// index, stopping at `limit`); their stored payload is the job's labels,
/// URL and repository.
pub async fn ignored_jobs(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<IgnoredJob>> {
    let rows: Vec<IgnoredRow> = diesel::sql_query(
        "SELECT id, received_at, repo_full_name, job_id, payload->'labels' AS labels \
         FROM installation_events WHERE outcome = 'ignored_no_label' AND received_at >= $1 \
         ORDER BY id DESC LIMIT $2",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(since)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| IgnoredJob {
            event_id: EventId(row.id),
            received_at: row.received_at,
            repo_full_name: row.repo_full_name,
            job_id: row.job_id.map(JobId),
            labels: labels(row.labels.as_ref())
                .iter()
                .map(str::to_owned)
                .collect(),
        })
        .collect())
}
