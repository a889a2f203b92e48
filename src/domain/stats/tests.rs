use chrono::NaiveDate;

use super::*;

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn row(week: &str, account: &str, jobs: u64, minutes: u64) -> AccountWeek {
    AccountWeek {
        week: date(week),
        account: account.to_owned(),
        jobs,
        runner_seconds: minutes * 60,
    }
}

#[test]
fn parameters_default_and_refuse_what_is_out_of_range() {
    assert_eq!(
        StatsQuery::parse(None, None).unwrap(),
        StatsQuery {
            weeks: 12,
            days: 14
        }
    );
    assert_eq!(
        StatsQuery::parse(Some("52"), Some("1")).unwrap(),
        StatsQuery { weeks: 52, days: 1 }
    );
    for weeks in ["0", "53", "-1", "x", "1.5", " 3"] {
        let error = StatsQuery::parse(Some(weeks), None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid parameter weeks, expected a number of weeks from 1 to 52"
        );
    }
    let error = StatsQuery::parse(None, Some("91")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid parameter days, expected a number of days from 1 to 90"
    );
}

#[test]
fn weeks_start_on_monday_and_end_with_this_one() {
    // 2026-12-03 is a Thursday.
    let query = StatsQuery { weeks: 3, days: 2 };
    assert_eq!(
        query.week_starts(date("2026-12-03")),
        vec![date("2026-11-16"), date("2026-11-23"), date("2026-11-30")]
    );
    assert_eq!(
        query.week_starts(date("2026-11-30")).last(),
        Some(&date("2026-11-30"))
    );
    assert_eq!(
        query.days(date("2026-12-01")),
        vec![date("2026-11-30"), date("2026-12-01")]
    );
}

#[test]
fn the_busiest_accounts_get_a_series_and_the_rest_one_together() {
    let weeks = vec![date("2026-11-23"), date("2026-11-30")];
    let rows = [
        row("2026-11-23", "small-a", 1, 5),
        row("2026-11-30", "big", 10, 500),
        row("2026-11-23", "big", 4, 100),
        row("2026-11-30", "middle", 3, 90),
        row("2026-11-30", "small-b", 2, 5),
        // Before the window: ignored.
        row("2026-11-16", "ancient", 100, 10_000),
    ];
    let usage = weekly_usage(&rows, weeks.clone(), 2);
    assert_eq!(usage.weeks, weeks);
    let names: Vec<&str> = usage.accounts.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["big", "middle", OTHER_ACCOUNTS]);
    assert_eq!(usage.accounts[0].jobs, [4, 10]);
    assert_eq!(usage.accounts[0].runner_seconds, [6_000, 30_000]);
    assert_eq!(usage.accounts[1].jobs, [0, 3]);
    let other = &usage.accounts[2];
    assert_eq!(other.accounts, 2);
    assert_eq!(other.jobs, [1, 2]);
    assert_eq!(other.runner_seconds, [300, 300]);
}

#[test]
fn one_account_beyond_the_top_keeps_its_name() {
    let weeks = vec![date("2026-11-30")];
    let rows = [
        row("2026-11-30", "a", 1, 10),
        row("2026-11-30", "b", 1, 10),
        row("2026-11-30", "c", 2, 10),
    ];
    let usage = weekly_usage(&rows, weeks, 2);
    let names: Vec<&str> = usage.accounts.iter().map(|s| s.name.as_str()).collect();
    // Equal runner time: more jobs first, then by name.
    assert_eq!(names, ["c", "a", "b"]);
    assert!(usage.accounts.iter().all(|s| s.accounts == 1));
}

#[test]
fn no_rows_make_empty_weeks_and_no_series() {
    let weeks = vec![date("2026-11-30")];
    let usage = weekly_usage(&[], weeks.clone(), 5);
    assert_eq!(usage.weeks, weeks);
    assert!(usage.accounts.is_empty());
    let queue = queue_times(&[], vec![date("2026-12-01")]);
    assert!(queue.pools.is_empty());
}

#[test]
fn queue_times_leave_days_without_jobs_empty() {
    let days = vec![date("2026-12-01"), date("2026-12-02"), date("2026-12-03")];
    let p = |p50| Percentiles {
        p50,
        p90: p50 * 2.0,
        p99: p50 * 3.0,
    };
    let rows = [
        PoolDay {
            pool: "scw-em-rv1".into(),
            day: date("2026-12-03"),
            jobs: 4,
            percentiles: p(30.0),
        },
        PoolDay {
            pool: "cloudv10x-jupiter".into(),
            day: date("2026-12-01"),
            jobs: 2,
            percentiles: p(5.0),
        },
        PoolDay {
            pool: "scw-em-rv1".into(),
            day: date("2026-12-01"),
            jobs: 1,
            percentiles: p(60.0),
        },
    ];
    let queue = queue_times(&rows, days.clone());
    assert_eq!(queue.days, days);
    let pools: Vec<&str> = queue.pools.iter().map(|s| s.pool.as_str()).collect();
    assert_eq!(pools, ["cloudv10x-jupiter", "scw-em-rv1"]);
    let scw = &queue.pools[1];
    assert_eq!(scw.jobs, [1, 0, 4]);
    assert_eq!(scw.percentiles, [Some(p(60.0)), None, Some(p(30.0))]);
}
