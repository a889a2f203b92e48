//! `/stats`: usage per account and week, queue times per pool and day.

use chrono::{NaiveDate, NaiveTime};

use super::usage::Demand;
use crate::domain::stats::{self, QueueTimes, StatsQuery, WeeklyUsage};
use crate::ports::{DemandLog, StoreError};

/// Accounts charted by name; the rest share one series.
const TOP_ACCOUNTS: usize = 6;

/// What `/stats` shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub usage: WeeklyUsage,
    pub queue: QueueTimes,
}

impl<S: DemandLog> Demand<S> {
    /// The windows of `query`, ending with `today` (UTC).
    pub async fn stats(&self, query: StatsQuery, today: NaiveDate) -> Result<Stats, StoreError> {
        let midnight = |day: NaiveDate| day.and_time(NaiveTime::MIN).and_utc();
        let weeks = query.week_starts(today);
        let days = query.days(today);
        let usage_rows = match weeks.first() {
            Some(first) => self.store.weekly_usage(midnight(*first)).await?,
            None => Vec::new(),
        };
        let queue_rows = match days.first() {
            Some(first) => self.store.queue_times(midnight(*first)).await?,
            None => Vec::new(),
        };
        Ok(Stats {
            usage: stats::weekly_usage(&usage_rows, weeks, TOP_ACCOUNTS),
            queue: stats::queue_times(&queue_rows, days),
        })
    }
}
