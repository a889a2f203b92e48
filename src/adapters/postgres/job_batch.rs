//! Many job deliveries as one statement: per delivery, the same guard,
//! row lock, transition, insert and event row as `statement.rs`, with each
//! bind sent as an array holding one element per delivery. PostgreSQL then
//! starts one executor per batch instead of one per delivery, which was
//! about an eighth of its CPU under load (docs/performance.md, step 7).
//!
//! One statement sees one snapshot, so its deliveries must not depend on
//! each other. It carries a batch's job deliveries only when each has a
//! delivery id and no two items of the batch share a job or a delivery id
//! ([`JobBatch::of`]); the batch's other items, which touch no job, go one
//! statement each in the same transaction. Any other batch sends one
//! statement per delivery.

use std::collections::HashSet;
use std::fmt::Write;
use std::mem::take;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Jsonb, Nullable, Text, Timestamptz};
use diesel::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::ports::Change;

use super::apply::Item;
use super::rows::RawJson;
use super::statement::{Applied, JobStatement, ResultRow, STATES};

/// Fewer job deliveries go one statement each. For the three or four of
/// a batch at concurrency 8 the batch statement did not pay: 1,069 and
/// 1,507/s with custom plans, 1,835 and 1,983/s with generic ones, against
/// 2,100 and 2,325/s one statement each (docs/performance.md, step 7).
const MIN_CARRIED: usize = 8;

/// Declares the columns once: the struct of arrays, the row each delivery
/// adds to it, and the binds and names of the `unnest`.
macro_rules! columns {
    ($($name:ident: $sql:ty, $rust:ty = $get:expr;)*) => {
        /// One array per bind; element `i` belongs to the batch's delivery `i`.
        #[derive(Debug, Default)]
        pub struct JobBatch {
            $($name: Vec<$rust>,)*
        }

        impl JobBatch {
            fn push(&mut self, mut statement: JobStatement) {
                $(self.$name.push({
                    let get: fn(&mut JobStatement) -> $rust = $get;
                    get(&mut statement)
                });)*
            }

            /// `unnest(<arrays>) WITH ORDINALITY AS d(<names>, n)`.
            fn write_rows<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
                out.push_sql("unnest(");
                let mut first = true;
                $(
                    if !std::mem::take(&mut first) {
                        out.push_sql(", ");
                    }
                    out.push_bind_param::<Array<$sql>, _>(&self.$name)?;
                )*
                out.push_sql(") WITH ORDINALITY AS d(");
                $(out.push_sql(concat!(stringify!($name), ", "));)*
                out.push_sql("n)");
                Ok(())
            }
        }
    };
}

columns! {
    job_id: BigInt, i64 = |s| s.job_id;
    delivery_id: Text, String = |s| take(&mut s.event.delivery_id).unwrap_or_default();
    event: Text, String = |s| take(&mut s.event.event);
    installation_id: Nullable<BigInt>, Option<i64> = |s| s.event.installation_id;
    app_id: Nullable<BigInt>, Option<i64> = |s| s.event.app_id;
    entity_type: Nullable<Text>, Option<String> = |s| take(&mut s.event.entity_type);
    entity_id: Nullable<BigInt>, Option<i64> = |s| s.event.entity_id;
    entity_name: Nullable<Text>, Option<String> = |s| take(&mut s.event.entity_name);
    event_job_id: Nullable<BigInt>, Option<i64> = |s| s.event.job_id;
    repo_full_name: Nullable<Text>, Option<String> = |s| take(&mut s.event.repo_full_name);
    payload: Jsonb, RawJson = |s| s.event.payload.clone();
    code_none: Text, &'static str = |s| s.codes[0];
    code_pending: Text, &'static str = |s| s.codes[1];
    code_running: Text, &'static str = |s| s.codes[2];
    code_completed: Text, &'static str = |s| s.codes[3];
    code_failed: Text, &'static str = |s| s.codes[4];
    message_none: Text, String = |s| take(&mut s.messages[0]);
    message_pending: Text, String = |s| take(&mut s.messages[1]);
    message_running: Text, String = |s| take(&mut s.messages[2]);
    message_completed: Text, String = |s| take(&mut s.messages[3]);
    message_failed: Text, String = |s| take(&mut s.messages[4]);
    mark_to: Text, &'static str = |s| s.mark_to;
    advance_from: Text, String = |s| format!("{{{}}}", s.advance_from.join(","));
    progress_pod: Nullable<Text>, Option<String> = |s| take(&mut s.progress_pod);
    progress_started: Nullable<Timestamptz>, Option<DateTime<Utc>> = |s| s.progress_started;
    progress_conclusion: Nullable<Text>, Option<String> = |s| take(&mut s.progress_conclusion);
    progress_completed: Nullable<Timestamptz>, Option<DateTime<Utc>> = |s| s.progress_completed;
    inserting: Bool, bool = |s| s.inserting;
    row_status: Nullable<Text>, Option<&'static str> = |s| s.row.status;
    row_entity_id: Nullable<BigInt>, Option<i64> = |s| s.row.entity_id;
    row_entity_name: Nullable<Text>, Option<String> = |s| take(&mut s.row.entity_name);
    row_entity_type: Nullable<Text>, Option<String> = |s| take(&mut s.row.entity_type);
    row_repo_full_name: Nullable<Text>, Option<String> = |s| take(&mut s.row.repo_full_name);
    row_installation_id: Nullable<BigInt>, Option<i64> = |s| s.row.installation_id;
    row_labels: Nullable<Jsonb>, Option<serde_json::Value> = |s| take(&mut s.row.labels);
    row_k8s_pool: Nullable<Text>, Option<String> = |s| take(&mut s.row.k8s_pool);
    row_k8s_image: Nullable<Text>, Option<String> = |s| take(&mut s.row.k8s_image);
    row_k8s_pod: Nullable<Text>, Option<String> = |s| take(&mut s.row.k8s_pod);
    row_html_url: Nullable<Text>, Option<String> = |s| take(&mut s.row.html_url);
    row_job_name: Nullable<Text>, Option<String> = |s| take(&mut s.row.job_name);
    row_run_id: Nullable<BigInt>, Option<i64> = |s| s.row.run_id;
    row_priority: Nullable<Integer>, Option<i32> = |s| s.row.priority;
    row_job_conclusion: Nullable<Text>, Option<String> = |s| take(&mut s.row.job_conclusion);
    row_job_created_at: Nullable<Timestamptz>, Option<DateTime<Utc>> = |s| s.row.job_created_at;
    row_job_started_at: Nullable<Timestamptz>, Option<DateTime<Utc>> = |s| s.row.job_started_at;
    row_job_completed_at: Nullable<Timestamptz>, Option<DateTime<Utc>> = |s| s.row.job_completed_at;
}

impl JobBatch {
    /// The batch statement for the job deliveries among `items`, and their
    /// indexes, if there are enough, each has a delivery id, and no two
    /// items share a job or a delivery id. The other items touch no job.
    pub fn of(items: &[Item]) -> Option<(Self, Vec<usize>)> {
        let mut jobs = HashSet::with_capacity(items.len());
        let mut deliveries = HashSet::with_capacity(items.len());
        let mut carried = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let delivery = item.event.delivery_id.as_ref();
            if delivery.is_some_and(|id| !deliveries.insert(id.0.as_str())) {
                return None;
            }
            if let Change::Job(report) = &item.change {
                // Without a delivery id a job delivery would be sent after
                // the statement, out of the batch's job order for locks.
                if delivery.is_none() || !jobs.insert(report.job_id) {
                    return None;
                }
                carried.push(index);
            }
        }
        if carried.len() < MIN_CARRIED {
            return None;
        }
        let mut batch = Self::default();
        for &index in &carried {
            let item = &items[index];
            if let Change::Job(report) = &item.change {
                batch.push(JobStatement::new(&item.event, item.payload.clone(), report));
            }
        }
        Some((batch, carried))
    }

    /// Sends the statement: one result per delivery, in order. A failure
    /// is reported once, as the first delivery's; the others point to it.
    pub async fn run(self, mut conn: &AsyncPgConnection) -> Vec<QueryResult<Applied>> {
        let expected = self.job_id.len();
        match self.load::<ResultRow>(&mut conn).await {
            Ok(rows) if rows.len() == expected => rows
                .into_iter()
                .map(|row| Ok(JobStatement::applied(row)))
                .collect(),
            Ok(rows) => {
                let message = format!("{} rows for {expected} deliveries", rows.len());
                (0..expected).map(|_| Err(internal(&message))).collect()
            }
            Err(error) => std::iter::once(Err(error))
                .chain((1..expected).map(|_| Err(internal("its batch statement failed"))))
                .collect(),
        }
    }
}

fn internal(message: &str) -> DieselError {
    DieselError::QueryBuilderError(message.into())
}

/// The cache key of the prepared statement (its text never changes).
#[derive(Debug)]
pub struct JobBatchId;

impl QueryId for JobBatch {
    type QueryId = JobBatchId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

/// One row per delivery, in the batch's order: as [`JobStatement`]'s.
impl Query for JobBatch {
    type SqlType = <JobStatement as Query>::SqlType;
}

impl QueryFragment<Pg> for JobBatch {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH d AS MATERIALIZED (SELECT * FROM ");
        self.write_rows(&mut out)?;
        out.push_sql(SQL_AFTER_ROWS);
        out.push_sql(&OUTCOME);
        out.push_sql(SQL_AFTER_OUTCOME);
        Ok(())
    }
}

/// The event row's outcome code and response for the status found.
static OUTCOME: LazyLock<String> =
    LazyLock::new(|| outcome_by_state("code") + ", " + &outcome_by_state("message"));

/// `CASE cur.status::text WHEN 'pending' THEN d.<column>_pending … END`.
fn outcome_by_state(column: &str) -> String {
    let mut sql = String::from("CASE cur.status::text");
    for state in STATES.iter().flatten() {
        let name = state.as_str();
        let _ = write!(sql, " WHEN '{name}' THEN d.{column}_{name}");
    }
    sql + &format!(" ELSE d.{column}_none END")
}

/// `seen`, `cur`, `upd`, `ins` and `flags` as in `statement.rs`, per
/// delivery `n`. The lookups are lateral, one index probe per delivery,
/// whatever the table statistics say (a semi-join once hashed the whole
/// event table). Rows are locked in the batch's order, which is job order.
const SQL_AFTER_ROWS: &str = "), \
seen AS (SELECT d.n FROM d CROSS JOIN LATERAL \
 (SELECT 1 FROM installation_events e WHERE e.delivery_id = d.delivery_id LIMIT 1) found), \
cur AS (SELECT d.n, found.status FROM d CROSS JOIN LATERAL \
 (SELECT status FROM jobs WHERE jobs.job_id = d.job_id FOR UPDATE) found), \
upd AS (UPDATE jobs SET status = CAST(d.mark_to AS status_enum), \
 k8s_pod = coalesce(jobs.k8s_pod, d.progress_pod), \
 job_started_at = coalesce(jobs.job_started_at, d.progress_started), \
 job_conclusion = coalesce(d.progress_conclusion, jobs.job_conclusion), \
 job_completed_at = coalesce(d.progress_completed, jobs.job_completed_at), updated_at = now() \
 FROM d JOIN cur ON cur.n = d.n WHERE jobs.job_id = d.job_id \
 AND cur.status::text = ANY(CAST(d.advance_from AS text[])) \
 AND d.n NOT IN (SELECT n FROM seen) RETURNING 1), \
ins AS (INSERT INTO jobs (job_id, status, provider, entity_id, entity_name, entity_type, \
 repo_full_name, installation_id, job_labels, k8s_pool, k8s_image, k8s_pod, html_url, job_name, \
 run_id, priority, job_conclusion, job_created_at, job_started_at, job_completed_at) \
 SELECT d.job_id, CAST(d.row_status AS status_enum), 'github'::provider_enum, d.row_entity_id, \
 d.row_entity_name, d.row_entity_type, d.row_repo_full_name, d.row_installation_id, d.row_labels, \
 d.row_k8s_pool, d.row_k8s_image, d.row_k8s_pod, d.row_html_url, d.row_job_name, d.row_run_id, \
 coalesce(d.row_priority, 0), d.row_job_conclusion, d.row_job_created_at, d.row_job_started_at, \
 d.row_job_completed_at FROM d WHERE d.inserting AND d.n NOT IN (SELECT n FROM cur) \
 AND d.n NOT IN (SELECT n FROM seen) ORDER BY d.n ON CONFLICT DO NOTHING RETURNING job_id), \
flags AS (SELECT d.n, d.inserting AND d.n NOT IN (SELECT n FROM cur) \
 AND d.n NOT IN (SELECT n FROM seen) AND d.job_id NOT IN (SELECT job_id FROM ins) AS raced FROM d), \
ev AS (INSERT INTO installation_events (source, event, outcome, response, delivery_id, \
 installation_id, app_id, entity_type, entity_id, entity_name, job_id, repo_full_name, payload) \
 SELECT 'webhook', d.event, ";

/// `ev` and the result rows.
const SQL_AFTER_OUTCOME: &str = ", d.delivery_id, d.installation_id, d.app_id, \
 d.entity_type, d.entity_id, d.entity_name, d.event_job_id, d.repo_full_name, d.payload \
 FROM d JOIN flags ON flags.n = d.n LEFT JOIN cur ON cur.n = d.n WHERE NOT flags.raced ORDER BY d.n \
 ON CONFLICT (delivery_id) WHERE delivery_id IS NOT NULL DO NOTHING RETURNING id, delivery_id) \
SELECT ev.id, flags.raced, cur.status::text FROM d JOIN flags ON flags.n = d.n \
 LEFT JOIN cur ON cur.n = d.n LEFT JOIN ev ON ev.delivery_id = d.delivery_id ORDER BY d.n";
