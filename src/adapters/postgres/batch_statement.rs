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
use crate::domain::job::{JobDecision, JobEffect, JobProgress, JobReport, JobStatus, FOUND};
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

/// A delivery as the statement needs it: the record, what a job delivery
/// writes, and what it does in each state of [`FOUND`].
#[derive(Debug)]
pub struct Item {
    pub record: DeliveryRecord,
    /// The job's labels as stored (JSON) and what the delivery writes.
    job: Option<(String, JobProgress)>,
    decisions: [JobDecision; 5],
}

impl Item {
    /// Prepares `record`.
    ///
    /// # Panics
    /// On a `workflow_run` delivery: those are applied apart.
    pub fn new(record: DeliveryRecord) -> Self {
        let (job, decisions) = match &record.change {
            Change::Job(report) => {
                let labels = report.job.labels.iter().collect::<serde_json::Value>();
                (
                    Some((labels.to_string(), report.progress())),
                    report.decisions(),
                )
            }
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
            record,
            job,
            decisions,
        }
    }

    fn report(&self) -> Option<&JobReport> {
        match &self.record.change {
            Change::Job(report) => Some(report),
            Change::Nothing(_) | Change::Run(_) => None,
        }
    }

    fn progress(&self) -> Option<&JobProgress> {
        self.job.as_ref().map(|(_, progress)| progress)
    }

    /// The job the item changes, if any.
    pub fn job(&self) -> Option<JobId> {
        self.report().map(|report| report.job.job_id)
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
    /// Committed, or found a duplicate, and the job it made `pending`.
    Done {
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

/// How the writer connections plan the statement, once per connection.
/// Every table access in it is a lookup by key, but a plan made while the
/// tables are empty or unanalysed (a new deployment; the bench after its
/// TRUNCATE) scans them whole, and keeps doing so as they grow: less than
/// half the throughput at c=32 (measured: docs/performance.md, step 8).
/// With sequential scans and hash and merge joins off, only key lookups
/// remain, and one generic plan serves every batch size.
const PLANNING: &str = "SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off; \
     SET enable_hashjoin = off; SET enable_mergejoin = off";

impl Writer {
    /// Prepares the statement on `client`, whose plan settings it sets.
    pub async fn prepare(client: Client) -> Result<Self, tokio_postgres::Error> {
        client.batch_execute(PLANNING).await?;
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
        let mut binds = Binds::default();
        for item in items {
            binds.push(item);
        }
        let rows = self.client.query(&self.statement, &binds.params()).await?;
        Ok(items
            .iter()
            .zip(rows)
            .map(|(item, row)| answer(item, &row))
            .collect())
    }
}

fn answer(item: &Item, row: &Row) -> Answer {
    let applied = match row.get::<_, &str>(0) {
        "blocked" => return Answer::Blocked,
        "raced" => return Answer::Raced,
        "duplicate" => {
            let code: String = row.get(3);
            let message = row
                .get::<_, Option<String>>(4)
                .unwrap_or_else(|| code.clone());
            Applied::Duplicate(PriorOutcome { code, message })
        }
        _ => {
            // The decision the statement recorded: that of the state found.
            let was = row.get::<_, Option<&str>>(1).and_then(JobStatus::parse);
            let found = FOUND.iter().position(|state| *state == was);
            let decision = &item.decisions[found.unwrap_or(0)];
            let new_pending = (decision.effect == JobEffect::Insert(JobStatus::Pending))
                .then(|| item.job())
                .flatten();
            let outcome = decision.outcome.clone();
            let event_id = EventId(row.get(2));
            return Answer::Done {
                applied: Applied::Recorded { event_id, outcome },
                new_pending,
            };
        }
    };
    Answer::Done {
        applied,
        new_pending: None,
    }
}

/// Declares the statement's parameters once, in their order ($1 …): one
/// array per column, and how each item fills it (`push`: one element;
/// `extend`: the five entries of its decision table).
macro_rules! binds {
    ($($name:ident: $ty:ty = $fill:ident |$item:ident| $value:expr;)*) => {
        #[derive(Default)]
        struct Binds<'a> {
            $($name: Vec<$ty>,)*
        }

        impl<'a> Binds<'a> {
            fn push(&mut self, item: &'a Item) {
                $(self.$name.$fill((|$item: &'a Item| $value)(item));)*
            }

            fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
                vec![$(&self.$name as &(dyn ToSql + Sync)),*]
            }
        }
    };
}

binds! {
    job_id: Option<i64> = push |i| i.job().map(|id| id.0);
    delivery_id: Option<&'a str> = push |i| i.delivery_id();
    event: &'a str = push |i| i.record.event.event.as_str();
    installation_id: Option<i64> = push |i| i.record.event.installation_id.map(|id| id.0);
    app_id: Option<i64> = push |i| i.record.event.app_id.map(|id| id.0);
    entity_type: Option<&'a str> = push |i| i.record.event.entity.as_ref().map(|e| e.kind.as_str());
    entity_id: Option<i64> = push |i| i.record.event.entity.as_ref().map(|e| e.id.0);
    entity_name: Option<&'a str> = push |i| i.record.event.entity.as_ref().map(|e| e.name.as_str());
    event_job_id: Option<i64> = push |i| i.record.event.job_id.map(|id| id.0);
    repo_full_name: Option<&'a str> = push |i| i.record.event.repo_full_name.as_deref();
    payload: &'a str = push |i| i.record.event.payload.as_str();
    labels: Option<&'a str> = push |i| i.job.as_ref().map(|(labels, _)| labels.as_str());
    pool: Option<&'a str> = push |i| i.report().map(|r| r.placement.pool.as_str());
    image: Option<&'a str> = push |i| i.report().map(|r| r.placement.image.as_str());
    priority: Option<i32> = push |i| i.report().map(|r| r.placement.priority);
    html_url: Option<&'a str> = push |i| i.report().and_then(|r| r.job.html_url.as_deref());
    job_name: Option<&'a str> = push |i| i.report().and_then(|r| r.job.name.as_deref());
    run_id: Option<i64> = push |i| i.report().and_then(|r| r.job.run_id.map(|id| id.0));
    job_created_at: Option<DateTime<Utc>> = push |i| i.report().and_then(|r| r.job.created_at);
    k8s_pod: Option<&'a str> = push |i| i.progress().and_then(|p| p.k8s_pod.as_deref());
    started_at: Option<DateTime<Utc>> = push |i| i.progress().and_then(|p| p.started_at);
    conclusion: Option<&'a str> = push |i| i.progress().and_then(|p| p.conclusion.as_deref());
    completed_at: Option<DateTime<Utc>> = push |i| i.progress().and_then(|p| p.completed_at);
    row_installation_id: Option<i64> = push |i| i.report().and_then(|r| r.job.installation_id.map(|id| id.0));
    row_entity_type: Option<&'a str> = push |i| i.report().map(|r| r.job.entity.kind.as_str());
    row_entity_id: Option<i64> = push |i| i.report().map(|r| r.job.entity.id.0);
    row_entity_name: Option<&'a str> = push |i| i.report().map(|r| r.job.entity.name.as_str());
    row_repo_full_name: Option<&'a str> = push |i| i.report().map(|r| r.job.repo_full_name.as_str());
    next: Option<&'static str> = extend |i| i.decisions.iter().map(|d| d.next_status().map(JobStatus::as_str));
    codes: &'static str = extend |i| i.decisions.iter().map(|d| d.outcome.code());
    messages: String = extend |i| i.decisions.iter().map(|d| d.outcome.message());
    source: &'static str = push |i| i.record.event.source.as_str();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_looks_states_up_in_the_domains_order() {
        let statuses: Vec<String> = FOUND
            .iter()
            .flatten()
            .map(|status| format!("'{}'", status.as_str()))
            .collect();
        assert_eq!(FOUND[0], None, "absent comes first, at offset 1");
        assert!(SQL.contains(&format!("ARRAY[{}]", statuses.join(", "))));
    }

    #[test]
    fn the_statement_has_a_parameter_for_every_column() {
        let binds = Binds::default();
        let count = binds.params().len();
        assert!(SQL.contains(&format!("${count}::")));
        assert!(!SQL.contains(&format!("${}::", count + 1)));
    }
}
