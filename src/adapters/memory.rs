//! An in-memory store: a real adapter of [`JobStore`] and [`EventLog`] with
//! the same behaviour as PostgreSQL (the contract suite runs both), for
//! tests and trials without a database.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::domain::event_query::EventQuery;
use crate::domain::ids::{DeliveryId, EntityId, EventId, InstallationId, JobId, RunId};
use crate::domain::job::{JobEffect, JobRow};
use crate::domain::outcome::Outcome;
use crate::domain::run::{run_advances, RunReport};
use crate::ports::{
    Applied, Change, DeliveryRecord, EventCount, EventLog, EventSummary, EventsPage, JobStore,
    PriorOutcome, StoreError,
};

#[derive(Debug)]
struct StoredEvent {
    summary: EventSummary,
    response: String,
    payload: serde_json::Value,
}

#[derive(Debug, Default)]
struct State {
    jobs: HashMap<JobId, JobRow>,
    runs: HashMap<RunId, RunReport>,
    events: Vec<StoredEvent>,
    by_delivery: HashMap<DeliveryId, usize>,
}

/// The in-memory store.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    /// A store that fails every call as an unreachable database does.
    unreachable: bool,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store whose every call fails with [`StoreError::Unavailable`], the
    /// way an unreachable database does.
    pub fn unreachable() -> Self {
        Self {
            unreachable: true,
            ..Self::default()
        }
    }

    fn state(&self) -> Result<std::sync::MutexGuard<'_, State>, StoreError> {
        if self.unreachable {
            return Err(StoreError::Unavailable(
                "the in-memory store is set unreachable".into(),
            ));
        }
        self.state
            .lock()
            .map_err(|_| StoreError::Unexpected("in-memory store poisoned".into()))
    }
}

impl State {
    fn apply_job_or_run(&mut self, change: Change) -> Outcome {
        match change {
            Change::Nothing(outcome) => outcome,
            Change::Job(report) => {
                let current = self.jobs.get(&report.job.job_id).map(|row| row.status);
                let decision = report.decide(current);
                match decision.effect {
                    JobEffect::Nothing => {}
                    JobEffect::Insert(status) => {
                        let row = report
                            .new_row(status)
                            .expect("insert is decided only for insertable reports");
                        self.jobs.insert(report.job.job_id, row);
                    }
                    effect @ (JobEffect::MarkRunning | JobEffect::MarkCompleted) => {
                        let progress = report.progress();
                        if let Some(row) = self.jobs.get_mut(&report.job.job_id) {
                            row.advance(effect, &progress);
                        }
                    }
                }
                decision.outcome
            }
            Change::Run(run) => {
                let id = run.run_id;
                let current = self.runs.get(&id).map(|row| row.status.as_deref());
                if current.is_none_or(|status| run_advances(status, run.status.as_deref())) {
                    self.runs.insert(id, run);
                }
                Outcome::RunRecorded(id)
            }
        }
    }
}

impl JobStore for MemoryStore {
    async fn apply(
        &self,
        record: DeliveryRecord,
        _deadline: std::time::Instant,
    ) -> Result<Applied, StoreError> {
        let mut state = self.state()?;
        let row = record.event;
        if let Some(index) = row
            .delivery_id
            .as_ref()
            .and_then(|id| state.by_delivery.get(id))
        {
            let prior = &state.events[*index];
            return Ok(Applied::Duplicate(PriorOutcome {
                code: prior.summary.outcome.clone(),
                message: prior.response.clone(),
            }));
        }
        let payload =
            serde_json::from_str(&row.payload).map_err(|e| StoreError::Unexpected(e.into()))?;
        let outcome = state.apply_job_or_run(record.change);
        let id = EventId(i64::try_from(state.events.len()).unwrap_or(i64::MAX) + 1);
        if let Some(delivery) = &row.delivery_id {
            let index = state.events.len();
            state.by_delivery.insert(delivery.clone(), index);
        }
        let (entity_type, entity_id, entity_name) = match row.entity {
            Some(entity) => (Some(entity.kind), Some(entity.id), Some(entity.name)),
            None => (None, None, None),
        };
        state.events.push(StoredEvent {
            summary: EventSummary {
                id,
                source: row.source.as_str().to_owned(),
                event: row.event,
                outcome: outcome.code().to_owned(),
                delivery_id: row.delivery_id.map(|id| id.0),
                installation_id: row.installation_id,
                app_id: row.app_id,
                entity_type,
                entity_id,
                entity_name,
                job_id: row.job_id,
                repo_full_name: row.repo_full_name,
                received_at: Utc::now(),
                response: Some(outcome.message()),
            },
            response: outcome.message(),
            payload,
        });
        Ok(Applied::Recorded {
            event_id: id,
            outcome,
        })
    }

    async fn find_job(&self, job: JobId) -> Result<Option<JobRow>, StoreError> {
        Ok(self.state()?.jobs.get(&job).cloned())
    }

    async fn check(&self) -> Result<(), StoreError> {
        self.state().map(drop)
    }
}

impl EventLog for MemoryStore {
    async fn search_events(&self, query: &EventQuery) -> Result<EventsPage, StoreError> {
        let state = self.state()?;
        let matching: Vec<&EventSummary> = state
            .events
            .iter()
            .rev()
            .map(|event| &event.summary)
            .filter(|summary| query.matches(summary.facts()))
            .collect();
        let listed = matching
            .iter()
            .filter(|summary| query.before.is_none_or(|before| summary.id.0 < before.0));
        let skip = usize::try_from(query.offset).unwrap_or(usize::MAX);
        let take = usize::try_from(query.limit).unwrap_or(usize::MAX);
        Ok(EventsPage {
            total: matching.len() as u64,
            total_exact: true,
            events: listed.skip(skip).take(take).copied().cloned().collect(),
        })
    }

    async fn count_events(&self, since: DateTime<Utc>) -> Result<Vec<EventCount>, StoreError> {
        let state = self.state()?;
        let mut counts: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for event in state
            .events
            .iter()
            .filter(|e| e.summary.received_at >= since)
        {
            *counts
                .entry((&event.summary.event, &event.summary.outcome))
                .or_default() += 1;
        }
        Ok(counts
            .into_iter()
            .map(|((event, outcome), count)| EventCount {
                event: event.to_owned(),
                outcome: outcome.to_owned(),
                count,
            })
            .collect())
    }

    async fn events_for_entity(
        &self,
        entity: EntityId,
        limit: usize,
    ) -> Result<Vec<EventSummary>, StoreError> {
        let state = self.state()?;
        let mine: Vec<&StoredEvent> = state
            .events
            .iter()
            .filter(|event| event.summary.entity_id == Some(entity))
            .collect();
        let skip = mine.len().saturating_sub(limit);
        Ok(mine
            .into_iter()
            .skip(skip)
            .map(|event| event.summary.clone())
            .collect())
    }

    async fn entity_of_installation_events(
        &self,
        installation: InstallationId,
    ) -> Result<Option<EntityId>, StoreError> {
        let state = self.state()?;
        Ok(state
            .events
            .iter()
            .rev()
            .filter(|event| event.summary.installation_id == Some(installation))
            .find_map(|event| event.summary.entity_id))
    }

    async fn entity_of_installation_jobs(
        &self,
        installation: InstallationId,
    ) -> Result<Option<EntityId>, StoreError> {
        let state = self.state()?;
        Ok(state
            .jobs
            .values()
            .filter(|row| row.installation_id == installation)
            .max_by_key(|row| row.job_id)
            .map(|row| row.entity.id))
    }

    async fn find_event(&self, event: EventId) -> Result<Option<EventSummary>, StoreError> {
        let state = self.state()?;
        let index = usize::try_from(event.0 - 1).ok();
        Ok(index
            .and_then(|i| state.events.get(i))
            .map(|stored| stored.summary.clone()))
    }

    async fn event_payload(&self, event: EventId) -> Result<Option<serde_json::Value>, StoreError> {
        let state = self.state()?;
        let index = usize::try_from(event.0 - 1).ok();
        Ok(index
            .and_then(|i| state.events.get(i))
            .map(|stored| stored.payload.clone()))
    }
}
