//! The statement that applies a batch of deliveries (`apply_batch.sql`):
//! its binds, built from the batch's items, and what it answers for each.
//!
//! The statement is prepared once per writer connection and sent with one
//! array per column, so a batch of any size is one round trip and one
//! statement, atomic by PostgreSQL's own rules.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement};

use crate::domain::ids::{EventId, JobId};
use crate::domain::job::{JobDecision, JobEffect, JobProgress, JobStatus, FOUND};
use crate::domain::outcome::Outcome;
use crate::ports::{Applied, Change, DeliveryRecord, PriorOutcome};

/// The statement as sent: `apply_batch.sql` without its comments, on one
/// line (so logs and `pg_stat_statements` show it whole).
static SQL: LazyLock<String> = LazyLock::new(|| {
    include_str!("apply_batch.sql")
        .lines()
        .map(|line| line.split_once("--").map_or(line, |(code, _)| code).trim())
        .filter(|code| !code.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
});

/// A delivery as the statement needs it: the record, and for a job
/// delivery what it writes and the decision for every state of its row.
#[derive(Debug)]
pub struct Item {
    pub record: DeliveryRecord,
    job: Option<JobWrite>,
    /// Outcome codes and answers per state of [`FOUND`].
    codes: [&'static str; 5],
    messages: [String; 5],
    next: [Option<&'static str>; 5],
}

#[derive(Debug)]
struct JobWrite {
    labels: String,
    progress: JobProgress,
}

impl Item {
    /// Prepares `record`.
    ///
    /// # Panics
    /// On a `workflow_run` delivery: those are applied apart.
    pub fn new(record: DeliveryRecord) -> Self {
        let (job, decisions) = match &record.change {
            Change::Job(report) => (
                Some(JobWrite {
                    labels: report
                        .labels
                        .iter()
                        .collect::<serde_json::Value>()
                        .to_string(),
                    progress: report.progress(),
                }),
                report.decisions(),
            ),
            // A delivery that changes nothing answers the same in every state.
            Change::Nothing(outcome) => (
                None,
                FOUND.map(|_| JobDecision {
                    effect: JobEffect::Nothing,
                    outcome: outcome.clone(),
                }),
            ),
            Change::Run(_) => unreachable!("runs are applied apart"),
        };
        Self {
            job,
            codes: decisions.each_ref().map(|d| d.outcome.code()),
            messages: decisions.each_ref().map(|d| d.outcome.message()),
            next: decisions
                .each_ref()
                .map(|d| d.next_status().map(JobStatus::as_str)),
            record,
        }
    }

    /// The job the item changes, if any.
    pub fn job(&self) -> Option<JobId> {
        match &self.record.change {
            Change::Job(report) => Some(report.job_id),
            Change::Nothing(_) | Change::Run(_) => None,
        }
    }

    /// The delivery id, if any.
    pub fn delivery_id(&self) -> Option<&str> {
        self.record
            .event
            .delivery_id
            .as_ref()
            .map(|id| id.0.as_str())
    }
}

/// What the statement did with one delivery.
#[derive(Debug)]
pub enum Answer {
    /// Committed: the delivery's change and event row.
    Recorded {
        applied: Applied,
        new_pending: Option<JobId>,
    },
    /// Another transaction holds the job's row: nothing written.
    Blocked,
    /// A concurrent delivery wrote the job or the delivery id first:
    /// nothing written; applying it again decides anew.
    Raced,
}

/// A writer connection with the statement prepared on it.
#[derive(Debug)]
pub struct Writer {
    client: Client,
    statement: Statement,
}

impl Writer {
    /// Prepares the statement on `client`.
    pub async fn prepare(client: Client) -> Result<Self, tokio_postgres::Error> {
        let statement = client.prepare(&SQL).await?;
        Ok(Self { client, statement })
    }

    /// Whether the connection is gone (it is then replaced).
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Applies `items`, which share no job and no delivery id and are in
    /// job order; one answer per item, in order.
    pub async fn apply(&self, items: &[&Item]) -> Result<Vec<Answer>, tokio_postgres::Error> {
        let binds = Binds::of(items);
        let rows = self.client.query(&self.statement, &binds.params()).await?;
        Ok(items
            .iter()
            .zip(rows)
            .map(|(item, row)| answer(item, &row))
            .collect())
    }
}

fn answer(item: &Item, row: &Row) -> Answer {
    let result: &str = row.get(0);
    match result {
        "blocked" => Answer::Blocked,
        "raced" => Answer::Raced,
        "duplicate" => {
            let code: String = row.get(3);
            let message = row
                .get::<_, Option<String>>(4)
                .unwrap_or_else(|| code.clone());
            Answer::Recorded {
                applied: Applied::Duplicate(PriorOutcome { code, message }),
                new_pending: None,
            }
        }
        _ => {
            let was = row.get::<_, Option<&str>>(1).and_then(JobStatus::parse);
            let event_id = EventId(row.get(2));
            let (outcome, new_pending) = decided(item, was);
            Answer::Recorded {
                applied: Applied::Recorded { event_id, outcome },
                new_pending,
            }
        }
    }
}

/// The outcome the statement recorded for `item` finding `was`, and the
/// job it made pending.
fn decided(item: &Item, was: Option<JobStatus>) -> (Outcome, Option<JobId>) {
    match &item.record.change {
        Change::Job(report) => {
            let decision = report.decide(was);
            let pending =
                (decision.effect == JobEffect::Insert(JobStatus::Pending)).then_some(report.job_id);
            (decision.outcome, pending)
        }
        Change::Nothing(outcome) => (outcome.clone(), None),
        Change::Run(_) => unreachable!("runs are applied apart"),
    }
}

/// One array per column of the statement, borrowing from the items.
#[derive(Default)]
struct Binds<'a> {
    job_id: Vec<Option<i64>>,
    delivery_id: Vec<Option<&'a str>>,
    event: Vec<&'a str>,
    installation_id: Vec<Option<i64>>,
    app_id: Vec<Option<i64>>,
    entity_type: Vec<Option<&'a str>>,
    entity_id: Vec<Option<i64>>,
    entity_name: Vec<Option<&'a str>>,
    event_job_id: Vec<Option<i64>>,
    repo_full_name: Vec<Option<&'a str>>,
    payload: Vec<&'a str>,
    labels: Vec<Option<&'a str>>,
    pool: Vec<Option<&'a str>>,
    image: Vec<Option<&'a str>>,
    priority: Vec<Option<i32>>,
    html_url: Vec<Option<&'a str>>,
    job_name: Vec<Option<&'a str>>,
    run_id: Vec<Option<i64>>,
    job_created_at: Vec<Option<DateTime<Utc>>>,
    k8s_pod: Vec<Option<&'a str>>,
    started_at: Vec<Option<DateTime<Utc>>>,
    conclusion: Vec<Option<&'a str>>,
    completed_at: Vec<Option<DateTime<Utc>>>,
    row_installation_id: Vec<Option<i64>>,
    row_entity_type: Vec<Option<&'a str>>,
    row_entity_id: Vec<Option<i64>>,
    row_entity_name: Vec<Option<&'a str>>,
    row_repo_full_name: Vec<Option<&'a str>>,
    next: Vec<Option<&'static str>>,
    codes: Vec<&'static str>,
    messages: Vec<&'a str>,
}

impl<'a> Binds<'a> {
    fn of(items: &[&'a Item]) -> Self {
        let mut binds = Self::default();
        for item in items {
            binds.push(item);
        }
        binds
    }

    fn push(&mut self, item: &'a Item) {
        let event = &item.record.event;
        let entity = event.entity.as_ref();
        self.delivery_id.push(item.delivery_id());
        self.event.push(&event.event);
        self.installation_id
            .push(event.installation_id.map(|id| id.0));
        self.app_id.push(event.app_id.map(|id| id.0));
        self.entity_type.push(entity.map(|e| e.kind.as_str()));
        self.entity_id.push(entity.map(|e| e.id.0));
        self.entity_name.push(entity.map(|e| e.name.as_str()));
        self.event_job_id.push(event.job_id.map(|id| id.0));
        self.repo_full_name.push(event.repo_full_name.as_deref());
        self.payload.push(&event.payload);
        self.next.extend(item.next);
        self.codes.extend(item.codes);
        self.messages
            .extend(item.messages.iter().map(String::as_str));
        let report = match (&item.record.change, &item.job) {
            (Change::Job(report), Some(job)) => Some((report, job)),
            _ => None,
        };
        self.job_id.push(report.map(|(r, _)| r.job_id.0));
        self.labels.push(report.map(|(_, j)| j.labels.as_str()));
        self.pool
            .push(report.map(|(r, _)| r.placement.pool.as_str()));
        self.image
            .push(report.map(|(r, _)| r.placement.image.as_str()));
        self.priority
            .push(report.map(|(r, _)| r.placement.priority));
        self.html_url
            .push(report.and_then(|(r, _)| r.html_url.as_deref()));
        self.job_name
            .push(report.and_then(|(r, _)| r.name.as_deref()));
        self.run_id
            .push(report.and_then(|(r, _)| r.run_id.map(|id| id.0)));
        self.job_created_at
            .push(report.and_then(|(r, _)| r.created_at));
        let progress = report.map(|(_, j)| &j.progress);
        self.k8s_pod
            .push(progress.and_then(|p| p.k8s_pod.as_deref()));
        self.started_at.push(progress.and_then(|p| p.started_at));
        self.conclusion
            .push(progress.and_then(|p| p.conclusion.as_deref()));
        self.completed_at
            .push(progress.and_then(|p| p.completed_at));
        self.row_installation_id
            .push(report.and_then(|(r, _)| r.installation_id.map(|id| id.0)));
        self.row_entity_type
            .push(report.map(|(r, _)| r.entity.kind.as_str()));
        self.row_entity_id.push(report.map(|(r, _)| r.entity.id.0));
        self.row_entity_name
            .push(report.map(|(r, _)| r.entity.name.as_str()));
        self.row_repo_full_name
            .push(report.map(|(r, _)| r.repo_full_name.as_str()));
    }

    /// The parameters in the statement's order ($1 … $31).
    fn params(&self) -> [&(dyn ToSql + Sync); 31] {
        [
            &self.job_id,
            &self.delivery_id,
            &self.event,
            &self.installation_id,
            &self.app_id,
            &self.entity_type,
            &self.entity_id,
            &self.entity_name,
            &self.event_job_id,
            &self.repo_full_name,
            &self.payload,
            &self.labels,
            &self.pool,
            &self.image,
            &self.priority,
            &self.html_url,
            &self.job_name,
            &self.run_id,
            &self.job_created_at,
            &self.k8s_pod,
            &self.started_at,
            &self.conclusion,
            &self.completed_at,
            &self.row_installation_id,
            &self.row_entity_type,
            &self.row_entity_id,
            &self.row_entity_name,
            &self.row_repo_full_name,
            &self.next,
            &self.codes,
            &self.messages,
        ]
    }
}
