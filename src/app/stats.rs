//! `/stats`: usage per account and week, queue times per pool and day.

use chrono::NaiveDate;

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
    /// The windows of `query`, ending with `today` (UTC); both read at once.
    pub async fn stats(&self, query: StatsQuery, today: NaiveDate) -> Result<Stats, StoreError> {
        let weeks = query.week_starts(today);
        let days = query.days(today);
        let (usage_rows, queue_rows) = futures_util::try_join!(
            async {
                match weeks.first() {
                    Some(first) => self.store.weekly_usage(*first).await,
                    None => Ok(Vec::new()),
                }
            },
            async {
                match days.first() {
                    Some(first) => self.store.queue_times(*first).await,
                    None => Ok(Vec::new()),
                }
            },
        )?;
        Ok(Stats {
            usage: stats::weekly_usage(&usage_rows, weeks, TOP_ACCOUNTS),
            queue: stats::queue_times(&queue_rows, days),
        })
    }
}
