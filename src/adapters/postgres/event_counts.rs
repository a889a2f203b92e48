//! Delivery counts by event and outcome over a window. Hours that have
//! passed are counted once, in the background, into `event_counts_hourly`
//! (and marked in `event_count_hours`); a window is then the sum of its
//! counted hours plus a count of the rows outside them, so a 30-day
//! window costs a few hundred small reads, not a scan of the whole log.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::ports::EventCount;

/// Counts of the window: whole counted hours from the first full hour up
/// to the first hour not yet counted, and raw rows everywhere else.
const WINDOW: &str = "\
WITH bounds AS (
    SELECT date_trunc('hour', $1::timestamptz) + CASE WHEN date_trunc('hour', $1::timestamptz) = $1::timestamptz
               THEN interval '0' ELSE interval '1 hour' END AS first_full
), counted AS (
    SELECT b.first_full,
        coalesce((SELECT min(h) FROM generate_series(b.first_full, date_trunc('hour', now()), interval '1 hour') h
                  WHERE NOT EXISTS (SELECT 1 FROM event_count_hours c WHERE c.hour = h)),
                 date_trunc('hour', now())) AS uncounted
    FROM bounds b
)
SELECT event, outcome, sum(n)::bigint AS count FROM (
    SELECT e.event, e.outcome, e.count AS n
    FROM event_counts_hourly e
    WHERE e.hour >= (SELECT first_full FROM counted) AND e.hour < (SELECT uncounted FROM counted)
    UNION ALL
    -- Each raw part is a range of the time index (bounds as scalar
    -- subqueries, known before the scan starts).
    SELECT i.event, i.outcome, count(*) AS n
    FROM installation_events i
    WHERE i.received_at >= $1::timestamptz AND i.received_at < (SELECT first_full FROM counted)
    GROUP BY i.event, i.outcome
    UNION ALL
    SELECT i.event, i.outcome, count(*) AS n
    FROM installation_events i
    WHERE i.received_at >= $1::timestamptz
      AND i.received_at >= (SELECT greatest(uncounted, first_full) FROM counted)
    GROUP BY i.event, i.outcome
) parts GROUP BY event, outcome";

/// Counts the newest hours not yet counted, at most `limit` of them, among
/// the last 31 days, leaving alone an hour that ended under a minute ago
/// (a delivery committing late may still belong to it).
const ROLL_UP: &str = "\
WITH due AS (
    SELECT h AS hour FROM generate_series(date_trunc('hour', now() - interval '31 days'),
                                         date_trunc('hour', now() - interval '1 minute') - interval '1 hour',
                                         interval '1 hour') h
    WHERE NOT EXISTS (SELECT 1 FROM event_count_hours c WHERE c.hour = h)
    ORDER BY h DESC LIMIT $1
), counts AS (
    INSERT INTO event_counts_hourly (hour, event, outcome, count)
    SELECT d.hour, i.event, i.outcome, count(*)
    FROM due d JOIN installation_events i
      ON i.received_at >= d.hour AND i.received_at < d.hour + interval '1 hour'
    GROUP BY d.hour, i.event, i.outcome
    ON CONFLICT (hour, event, outcome) DO NOTHING
    RETURNING 1
)
INSERT INTO event_count_hours (hour) SELECT hour FROM due ON CONFLICT DO NOTHING";

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = Text)]
    event: String,
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = BigInt)]
    count: i64,
}

pub async fn count_events(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
) -> diesel::QueryResult<Vec<EventCount>> {
    let rows: Vec<CountRow> = diesel::sql_query(WINDOW)
        .bind::<Timestamptz, _>(since)
        .load(conn)
        .await?;
    let mut counts: Vec<EventCount> = rows
        .into_iter()
        .map(|row| EventCount {
            event: row.event,
            outcome: row.outcome,
            count: u64::try_from(row.count).unwrap_or_default(),
        })
        .collect();
    // Byte order, whatever the database's collation.
    counts.sort();
    Ok(counts)
}

/// Hours counted per statement, so each stays well within the statement
/// timeout on a busy log.
const HOURS_PER_STATEMENT: i64 = 24;

/// Counts up to `limit` passed hours, a day at a time; returns how many.
pub async fn roll_up(conn: &mut AsyncPgConnection, limit: i64) -> diesel::QueryResult<usize> {
    in_statements(conn, ROLL_UP, limit, HOURS_PER_STATEMENT).await
}

/// Runs `sql` (which counts up to `$1` periods and returns how many it
/// did) until `limit` periods are counted or none is left, `per_statement`
/// at a time.
pub async fn in_statements(
    conn: &mut AsyncPgConnection,
    sql: &str,
    limit: i64,
    per_statement: i64,
) -> diesel::QueryResult<usize> {
    let mut counted = 0;
    while i64::try_from(counted).unwrap_or(i64::MAX) < limit {
        let left = limit - i64::try_from(counted).unwrap_or(i64::MAX);
        let done = diesel::sql_query(sql)
            .bind::<BigInt, _>(left.min(per_statement))
            .execute(conn)
            .await?;
        counted += done;
        if done == 0 {
            break;
        }
    }
    Ok(counted)
}
