//! The predecessor's scheduler as the database sees it: its statements,
//! sent as it sends them (the same SQL, parameters of the same types; an
//! enum parameter goes as its label, the way its driver sends a string).

use std::error::Error;

use tokio_postgres::types::private::BytesMut;
use tokio_postgres::types::{to_sql_checked, IsNull, Kind, ToSql, Type};
use tokio_postgres::Client;

/// A string sent for an enum-typed parameter.
#[derive(Debug)]
pub struct Label<'a>(pub &'a str);

impl ToSql for Label<'_> {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        matches!(ty.kind(), Kind::Enum(_))
    }

    to_sql_checked!();
}

/// One scheduler iteration, in one transaction as the scheduler runs it:
/// the workers lock, a failed job, its event row, a new worker. Returns
/// the status the job had.
pub async fn iteration(
    db: &mut Client,
    failed_job: i64,
) -> Result<Option<String>, tokio_postgres::Error> {
    let tx = db.transaction().await?;
    tx.batch_execute("LOCK TABLE workers IN EXCLUSIVE MODE")
        .await?;
    let prev = tx
        .query_opt(
            "WITH prev AS (SELECT status FROM jobs WHERE job_id = $1)
             UPDATE jobs SET status = 'failed', failure_info = $2::jsonb, updated_at = now()
             WHERE job_id = $1 AND (status = 'pending' OR status = 'running')
             RETURNING (SELECT status::text FROM prev) as prev_status",
            &[
                &failed_job,
                &serde_json::json!({"version": 2, "reason": "pod_allocation_failure"}),
            ],
        )
        .await?
        .map(|row| row.get::<_, String>(0));
    tx.query_one(
        "INSERT INTO installation_events
            (source, event, outcome, installation_id, app_id, entity_type,
             entity_id, entity_name, payload)
         VALUES ($1, $2, $3, $4, $5, $6::entity_type_enum, $7, $8, $9::jsonb)
         RETURNING id",
        &[
            &"scheduler",
            &"auth_attempt.failed",
            &"installation_not_found",
            &99_i64,
            &2_167_633_i64,
            &Label("Organization"),
            &4242_i64,
            &"acme",
            &serde_json::json!({"status": 404}),
        ],
    )
    .await?;
    tx.execute(
        "INSERT INTO workers (pod_name, provider, entity_id, entity_name, entity_type,
                              installation_id, repo_full_name, k8s_pool, job_labels,
                              k8s_image, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, 'pending', now(), now())
         ON CONFLICT (pod_name) DO NOTHING",
        &[
            &format!("rise-riscv-runner-{failed_job}"),
            &Label("github"),
            &4242_i64,
            &"acme",
            &"Organization",
            &99_i64,
            &None::<&str>,
            &"scw-em-rv1",
            &serde_json::json!(["ubuntu-24.04-riscv"]),
            &"riscv-runner:ubuntu-24.04-latest",
        ],
    )
    .await?;
    tx.execute(
        "UPDATE workers SET status = 'running', k8s_node = $1,
                running_at = COALESCE(running_at, $2, now()), updated_at = now()
         WHERE pod_name = $3 AND status = 'pending'",
        &[
            &"node-1",
            &None::<chrono::DateTime<chrono::Utc>>,
            &format!("rise-riscv-runner-{failed_job}"),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(prev)
}

/// The scheduler's reads: active jobs with every column it scans (as text),
/// the demand count of one label set, and an entity's events.
pub async fn reads(
    db: &Client,
) -> Result<(Vec<Vec<Option<String>>>, i64, usize), tokio_postgres::Error> {
    let active = db
        .simple_query(
            "SELECT job_id, status, failure_info, provider, entity_id, entity_name,
                    entity_type, repo_full_name, installation_id, job_labels, k8s_pool,
                    k8s_image, k8s_pod, html_url, created_at, updated_at FROM jobs
             WHERE status = 'pending' OR status = 'running' ORDER BY created_at",
        )
        .await?
        .into_iter()
        .filter_map(|message| match message {
            tokio_postgres::SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        })
        .collect();
    let demand: i64 = db
        .query_one(
            "SELECT
                (SELECT COUNT(*) FROM jobs
                 WHERE entity_id = $1 AND job_labels = $2::jsonb
                   AND (status = 'pending' OR status = 'running')) AS job_count,
                (SELECT COUNT(*) FROM workers
                 WHERE entity_id = $1 AND job_labels = $2::jsonb
                   AND (status = 'pending' OR status = 'running')) AS worker_count",
            &[&4242_i64, &serde_json::json!(["ubuntu-24.04-riscv"])],
        )
        .await?
        .get(0);
    let events = db
        .query(
            "SELECT id, source, event, outcome, installation_id, app_id, entity_type,
                    entity_id, entity_name, received_at,
                    CASE WHEN event LIKE 'workflow_job.%%'
                         THEN payload->'workflow_job'->>'id' END AS job_id,
                    CASE WHEN event LIKE 'workflow_job.%%'
                         THEN payload->'repository'->>'full_name' END AS repo_full_name
             FROM installation_events WHERE entity_id = $1 ORDER BY received_at",
            &[&4242_i64],
        )
        .await?;
    for row in &events {
        // The scheduler scans entity_type into a string.
        let _: Option<String> = row.get(6);
    }
    Ok((active, demand, events.len()))
}
