//! Reads for `/stats`: one range scan of the jobs' creation-time index each,
//! grouped in the database.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Double, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::domain::stats::{AccountWeek, Percentiles, PoolDay};

#[derive(QueryableByName)]
struct AccountWeekRow {
    #[diesel(sql_type = Date)]
    week: NaiveDate,
    #[diesel(sql_type = Text)]
    account: String,
    #[diesel(sql_type = BigInt)]
    jobs: i64,
    #[diesel(sql_type = BigInt)]
    runner_seconds: i64,
}

/// Jobs stored since `since` per account and week; a running job counts
/// up to now.
pub async fn weekly_usage(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
) -> QueryResult<Vec<AccountWeek>> {
    let rows: Vec<AccountWeekRow> = diesel::sql_query(
        "SELECT date_trunc('week', created_at AT TIME ZONE 'UTC')::date AS week, \
                entity_name AS account, count(*) AS jobs, \
                coalesce(sum(greatest(extract(epoch FROM \
                    coalesce(job_completed_at, CASE WHEN status = 'running' THEN now() END) \
                    - job_started_at), 0)), 0)::bigint AS runner_seconds \
         FROM jobs WHERE created_at >= $1 GROUP BY 1, 2",
    )
    .bind::<Timestamptz, _>(since)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| AccountWeek {
            week: row.week,
            account: row.account,
            jobs: u64::try_from(row.jobs).unwrap_or_default(),
            runner_seconds: u64::try_from(row.runner_seconds).unwrap_or_default(),
        })
        .collect())
}

#[derive(QueryableByName)]
struct PoolDayRow {
    #[diesel(sql_type = Text)]
    pool: String,
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    jobs: i64,
    #[diesel(sql_type = Double)]
    p50: f64,
    #[diesel(sql_type = Double)]
    p90: f64,
    #[diesel(sql_type = Double)]
    p99: f64,
}

/// Queue-time percentiles of the jobs stored since `since` that started,
/// per pool and day.
pub async fn queue_times(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
) -> QueryResult<Vec<PoolDay>> {
    let rows: Vec<PoolDayRow> = diesel::sql_query(
        "SELECT k8s_pool AS pool, (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS jobs, \
                percentile_cont(0.5) WITHIN GROUP (ORDER BY wait) AS p50, \
                percentile_cont(0.9) WITHIN GROUP (ORDER BY wait) AS p90, \
                percentile_cont(0.99) WITHIN GROUP (ORDER BY wait) AS p99 \
         FROM (SELECT k8s_pool, created_at, \
                      greatest(extract(epoch FROM job_started_at - job_created_at), 0)::float8 AS wait \
               FROM jobs WHERE created_at >= $1 \
                 AND job_started_at IS NOT NULL AND job_created_at IS NOT NULL) started \
         GROUP BY 1, 2",
    )
    .bind::<Timestamptz, _>(since)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| PoolDay {
            pool: row.pool,
            day: row.day,
            jobs: u64::try_from(row.jobs).unwrap_or_default(),
            percentiles: Percentiles {
                p50: row.p50,
                p90: row.p90,
                p99: row.p99,
            },
        })
        .collect())
}
