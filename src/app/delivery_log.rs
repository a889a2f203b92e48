//! The delivery log as `/api/webhooks/*` reads it: filtered searches and
//! totals by event and outcome.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::event_query::EventQuery;
use crate::ports::{EventCount, EventLog, EventsPage, StoreError};

/// Totals of the deliveries since a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statistics {
    pub since: DateTime<Utc>,
    pub total: u64,
    /// Per event, in event order.
    pub by_event: Vec<EventTotals>,
    pub by_outcome: BTreeMap<String, u64>,
}

/// One event's totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTotals {
    pub event: String,
    pub total: u64,
    pub outcomes: BTreeMap<String, u64>,
}

/// Reads the delivery log.
#[derive(Debug, Clone)]
pub struct DeliveryLog<S> {
    store: S,
}

impl<S: EventLog> DeliveryLog<S> {
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// The deliveries `query` selects, newest first, and how many match.
    pub async fn search(&self, query: &EventQuery) -> Result<EventsPage, StoreError> {
        self.store.search_events(query).await
    }

    /// Totals of the last `hours` before `now`.
    pub async fn statistics(
        &self,
        hours: u32,
        now: DateTime<Utc>,
    ) -> Result<Statistics, StoreError> {
        let since = now - TimeDelta::hours(i64::from(hours));
        Ok(tally(since, self.store.count_events(since).await?))
    }
}

/// Totals by event, by outcome, and of each event by outcome.
fn tally(since: DateTime<Utc>, counts: Vec<EventCount>) -> Statistics {
    let mut by_event: Vec<EventTotals> = Vec::new();
    let mut by_outcome: BTreeMap<String, u64> = BTreeMap::new();
    for count in counts {
        *by_outcome.entry(count.outcome.clone()).or_default() += count.count;
        match by_event.last_mut() {
            Some(totals) if totals.event == count.event => {
                totals.total += count.count;
                totals.outcomes.insert(count.outcome, count.count);
            }
            _ => by_event.push(EventTotals {
                event: count.event,
                total: count.count,
                outcomes: BTreeMap::from([(count.outcome, count.count)]),
            }),
        }
    }
    Statistics {
        since,
        total: by_event.iter().map(|e| e.total).sum(),
        by_event,
        by_outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(event: &str, outcome: &str, count: u64) -> EventCount {
        EventCount {
            event: event.into(),
            outcome: outcome.into(),
            count,
        }
    }

    #[test]
    fn counts_add_up_by_event_and_by_outcome() {
        let statistics = tally(
            Utc::now(),
            vec![
                count("ping", "pong", 1),
                count("workflow_job.queued", "duplicate", 2),
                count("workflow_job.queued", "job_queued", 5),
                count("workflow_run.completed", "duplicate", 1),
            ],
        );
        assert_eq!(statistics.total, 9);
        let events: Vec<(&str, u64, usize)> = statistics
            .by_event
            .iter()
            .map(|e| (e.event.as_str(), e.total, e.outcomes.len()))
            .collect();
        assert_eq!(
            events,
            [
                ("ping", 1, 1),
                ("workflow_job.queued", 7, 2),
                ("workflow_run.completed", 1, 1)
            ]
        );
        assert_eq!(statistics.by_outcome["duplicate"], 3);
        assert_eq!(statistics.by_outcome["job_queued"], 5);
    }
}
