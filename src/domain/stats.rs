//! `/stats`: runner use per account and week, and queue times per pool and
//! day. The store sums and ranks rows; this module fixes the windows, fills
//! the weeks and days nothing ran in, and folds the smaller accounts into
//! one "other" series so a chart stays readable.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate, Weekday};

use super::history::InvalidParameter;

/// The windows `/stats` covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsQuery {
    /// Weeks of usage, the current one included.
    pub weeks: u32,
    /// Days of queue times, today included.
    pub days: u32,
}

impl StatsQuery {
    pub const DEFAULT_WEEKS: u32 = 12;
    pub const MAX_WEEKS: u32 = 52;
    pub const DEFAULT_DAYS: u32 = 14;
    pub const MAX_DAYS: u32 = 90;

    /// Reads `weeks` and `days`; absent ones take their defaults.
    pub fn parse(weeks: Option<&str>, days: Option<&str>) -> Result<Self, InvalidParameter> {
        let number = |value: Option<&str>, default, max, invalid| match value {
            None => Ok(default),
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or(invalid),
        };
        Ok(Self {
            weeks: number(
                weeks,
                Self::DEFAULT_WEEKS,
                Self::MAX_WEEKS,
                InvalidParameter {
                    name: "weeks",
                    expected: "expected a number of weeks from 1 to 52",
                },
            )?,
            days: number(
                days,
                Self::DEFAULT_DAYS,
                Self::MAX_DAYS,
                InvalidParameter {
                    name: "days",
                    expected: "expected a number of days from 1 to 90",
                },
            )?,
        })
    }

    /// The Mondays of the weeks shown, oldest first; the last is this week's.
    pub fn week_starts(&self, today: NaiveDate) -> Vec<NaiveDate> {
        let this_week = today.week(Weekday::Mon).first_day();
        (0..self.weeks)
            .rev()
            .filter_map(|back| this_week.checked_sub_days(Days::new(7 * u64::from(back))))
            .collect()
    }

    /// The days shown, oldest first; the last is today.
    pub fn days(&self, today: NaiveDate) -> Vec<NaiveDate> {
        (0..self.days)
            .rev()
            .filter_map(|back| today.checked_sub_days(Days::new(u64::from(back))))
            .collect()
    }
}

/// One account's jobs stored in one week (the store's row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountWeek {
    /// The week's Monday (UTC).
    pub week: NaiveDate,
    pub account: String,
    pub jobs: u64,
    /// Start to completion of those jobs, summed (running ones up to now).
    pub runner_seconds: u64,
}

/// Weekly series, one per account shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyUsage {
    pub weeks: Vec<NaiveDate>,
    /// The busiest accounts first (by runner time), then "other".
    pub accounts: Vec<AccountSeries>,
}

/// One account's (or the other accounts') weeks, aligned with `weeks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSeries {
    pub name: String,
    /// How many accounts the series sums: 1, or more for "other".
    pub accounts: usize,
    pub jobs: Vec<u64>,
    pub runner_seconds: Vec<u64>,
}

impl AccountSeries {
    fn empty(name: String, weeks: usize) -> Self {
        Self {
            name,
            accounts: 1,
            jobs: vec![0; weeks],
            runner_seconds: vec![0; weeks],
        }
    }

    fn total_seconds(&self) -> u64 {
        self.runner_seconds.iter().sum()
    }

    fn total_jobs(&self) -> u64 {
        self.jobs.iter().sum()
    }
}

/// The name of the series that sums the accounts beyond the top ones.
pub const OTHER_ACCOUNTS: &str = "other accounts";

/// Lays `rows` out over `weeks`: the `top` accounts with the most runner
/// time (then jobs, then name) get a series each; the rest share one. Rows
/// outside `weeks` are dropped. With at most one account beyond `top`, that
/// account keeps its own series.
pub fn weekly_usage(rows: &[AccountWeek], weeks: Vec<NaiveDate>, top: usize) -> WeeklyUsage {
    let column: BTreeMap<NaiveDate, usize> =
        weeks.iter().enumerate().map(|(i, w)| (*w, i)).collect();
    let mut by_account: BTreeMap<&str, AccountSeries> = BTreeMap::new();
    for row in rows {
        let Some(&i) = column.get(&row.week) else {
            continue;
        };
        let series = by_account
            .entry(row.account.as_str())
            .or_insert_with(|| AccountSeries::empty(row.account.clone(), weeks.len()));
        series.jobs[i] += row.jobs;
        series.runner_seconds[i] += row.runner_seconds;
    }
    let mut ranked: Vec<AccountSeries> = by_account.into_values().collect();
    ranked.sort_by(|a, b| {
        (b.total_seconds(), b.total_jobs())
            .cmp(&(a.total_seconds(), a.total_jobs()))
            .then_with(|| a.name.cmp(&b.name))
    });
    if ranked.len() > top + 1 {
        let rest = ranked.split_off(top);
        let mut other = AccountSeries::empty(OTHER_ACCOUNTS.to_owned(), weeks.len());
        other.accounts = rest.len();
        for series in &rest {
            for i in 0..weeks.len() {
                other.jobs[i] += series.jobs[i];
                other.runner_seconds[i] += series.runner_seconds[i];
            }
        }
        ranked.push(other);
    }
    WeeklyUsage {
        weeks,
        accounts: ranked,
    }
}

/// Queue times of one pool's jobs stored on one day (the store's row).
#[derive(Debug, Clone, PartialEq)]
pub struct PoolDay {
    pub pool: String,
    pub day: NaiveDate,
    /// Jobs that started, so have a queue time.
    pub jobs: u64,
    pub percentiles: Percentiles,
}

/// Seconds from GitHub queueing a job to its start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
}

/// One pool's days, aligned with [`QueueTimes::days`]; `None` where no job
/// started.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolSeries {
    pub pool: String,
    pub jobs: Vec<u64>,
    pub percentiles: Vec<Option<Percentiles>>,
}

/// Queue-time percentiles per pool and day.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueTimes {
    pub days: Vec<NaiveDate>,
    /// Pools by name.
    pub pools: Vec<PoolSeries>,
}

/// Lays `rows` out over `days`, a series per pool; rows outside `days` are
/// dropped.
pub fn queue_times(rows: &[PoolDay], days: Vec<NaiveDate>) -> QueueTimes {
    let column: BTreeMap<NaiveDate, usize> =
        days.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    let mut pools: BTreeMap<&str, PoolSeries> = BTreeMap::new();
    for row in rows {
        let Some(&i) = column.get(&row.day) else {
            continue;
        };
        let series = pools
            .entry(row.pool.as_str())
            .or_insert_with(|| PoolSeries {
                pool: row.pool.clone(),
                jobs: vec![0; days.len()],
                percentiles: vec![None; days.len()],
            });
        series.jobs[i] = row.jobs;
        series.percentiles[i] = Some(row.percentiles);
    }
    QueueTimes {
        days,
        pools: pools.into_values().collect(),
    }
}

#[cfg(test)]
mod tests;
