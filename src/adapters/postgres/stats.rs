//! Reads for `/stats`. Days that are over by a day are counted once, in the
//! background, into `job_usage_daily` and `job_queue_daily` (marked in
//! `job_count_days`); a window is the counted days up to the first day not
//! yet counted, and a range of the jobs' creation-time index from there, so
//! a year of jobs costs a few thousand small rows, not a scan of them all.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Double, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::domain::stats::{AccountWeek, Percentiles, PoolDay};

/// The first day of the window (`$1`) not yet counted; today's, or the
/// day after, when every day is.
const LIVE_FROM: &str = "\
live AS (
    SELECT coalesce(
        (SELECT min(d)::date FROM generate_series($1::date, (now() AT TIME ZONE 'UTC')::date, interval '1 day') d
         WHERE NOT EXISTS (SELECT 1 FROM job_count_days c WHERE c.day = d::date)),
        (now() AT TIME ZONE 'UTC')::date + 1) AS day
)";

/// A job's runner time in seconds: start to completion, a running one up
/// to now.
const RUNNER_SECONDS: &str = "greatest(extract(epoch FROM \
    coalesce(job_completed_at, CASE WHEN status = 'running' THEN now() END) - job_started_at), 0)";

/// A started job's queue time in seconds.
const QUEUE_SECONDS: &str =
    "greatest(extract(epoch FROM job_started_at - job_created_at), 0)::float8";

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

/// Jobs stored from `since` on, per account and week.
pub async fn weekly_usage(
    conn: &mut AsyncPgConnection,
    since: NaiveDate,
) -> QueryResult<Vec<AccountWeek>> {
    let sql = format!(
        "WITH {LIVE_FROM}
         SELECT date_trunc('week', day)::date AS week, account,
                sum(jobs)::bigint AS jobs, sum(runner_seconds)::bigint AS runner_seconds
         FROM (
             SELECT day, account, jobs, runner_seconds FROM job_usage_daily
             WHERE day >= $1::date AND day < (SELECT day FROM live)
             UNION ALL
             SELECT (created_at AT TIME ZONE 'UTC')::date, entity_name, count(*),
                    coalesce(sum({RUNNER_SECONDS}), 0)::bigint
             FROM jobs
             WHERE created_at >= ((SELECT day FROM live)::timestamp AT TIME ZONE 'UTC')
             GROUP BY 1, 2
         ) parts GROUP BY 1, 2"
    );
    let rows: Vec<AccountWeekRow> = diesel::sql_query(sql)
        .bind::<Date, _>(since)
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

/// Percentiles of the queue times of the started jobs stored on `day`s
/// (a `due` relation), per pool.
fn queue_percentiles(days: &str) -> String {
    format!(
        "SELECT d.day, j.k8s_pool AS pool, count(*) AS jobs,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY {QUEUE_SECONDS}) AS p50,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY {QUEUE_SECONDS}) AS p90,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY {QUEUE_SECONDS}) AS p99
         FROM {days} JOIN jobs j
           ON j.created_at >= (d.day::timestamp AT TIME ZONE 'UTC')
          AND j.created_at < ((d.day + 1)::timestamp AT TIME ZONE 'UTC')
         WHERE j.job_started_at IS NOT NULL AND j.job_created_at IS NOT NULL
         GROUP BY d.day, j.k8s_pool"
    )
}

/// Queue-time percentiles of the started jobs stored from `since` on, per
/// pool and day.
pub async fn queue_times(
    conn: &mut AsyncPgConnection,
    since: NaiveDate,
) -> QueryResult<Vec<PoolDay>> {
    let live_days = "(SELECT d::date AS day FROM live, generate_series(live.day, \
                      (now() AT TIME ZONE 'UTC')::date, interval '1 day') d) d";
    let sql = format!(
        "WITH {LIVE_FROM}
         SELECT pool, day, jobs, p50, p90, p99 FROM job_queue_daily
         WHERE day >= $1::date AND day < (SELECT day FROM live)
         UNION ALL
         SELECT pool, day, jobs, p50, p90, p99 FROM ({}) today",
        queue_percentiles(live_days)
    );
    let rows: Vec<PoolDayRow> = diesel::sql_query(sql)
        .bind::<Date, _>(since)
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

/// Days counted per statement: one, so each stays well within the
/// statement timeout even at 100,000 jobs a day (percentiles sort them).
const DAYS_PER_STATEMENT: i64 = 1;

/// Counts up to `limit` days not yet counted among the last 366 that are
/// over by a day (a job stored late in a day may start the next), newest
/// first; returns how many.
pub async fn roll_up(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<usize> {
    let sql = format!(
        "WITH due AS (
             SELECT d::date AS day FROM generate_series((now() AT TIME ZONE 'UTC')::date - 366,
                                                        (now() AT TIME ZONE 'UTC')::date - 2,
                                                        interval '1 day') d
             WHERE NOT EXISTS (SELECT 1 FROM job_count_days c WHERE c.day = d::date)
             ORDER BY d DESC LIMIT $1
         ), usage AS (
             INSERT INTO job_usage_daily (day, account, jobs, runner_seconds)
             SELECT d.day, j.entity_name, count(*), coalesce(sum({RUNNER_SECONDS}), 0)::bigint
             FROM due d JOIN jobs j
               ON j.created_at >= (d.day::timestamp AT TIME ZONE 'UTC')
              AND j.created_at < ((d.day + 1)::timestamp AT TIME ZONE 'UTC')
             GROUP BY d.day, j.entity_name
             ON CONFLICT (day, account) DO NOTHING
             RETURNING 1
         ), queue AS (
             INSERT INTO job_queue_daily (day, pool, jobs, p50, p90, p99)
             {}
             ON CONFLICT (day, pool) DO NOTHING
             RETURNING 1
         )
         INSERT INTO job_count_days (day) SELECT day FROM due ON CONFLICT DO NOTHING",
        queue_percentiles("due d")
    );
    super::event_counts::in_statements(conn, &sql, limit, DAYS_PER_STATEMENT).await
}
