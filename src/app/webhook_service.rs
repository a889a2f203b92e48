//! The webhook use case: turns a verified, typed delivery into one store
//! operation and the outcome GitHub's delivery log will show
//! (docs/behaviour.md, "Webhook deliveries").

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use crate::domain::delivery::{Delivery, DeliveryKind, InvalidDelivery, JobDelivery};
use crate::domain::job::{JobAction, JobReport, JobStatus};
use crate::domain::outcome::Outcome;
use crate::domain::routing::{Route, Router};

use crate::ports::{Applied, Change, DeliveryRecord, EventRecord, Forwardable, JobStore};

use super::delivery_feed::DeliveryFeed;
use super::delivery_record::{describe_job, event_row, Answered, HandleError, Handled};
use super::staging_proxy::StagingRoute;

/// Applies deliveries to a [`JobStore`] through the [`Router`], forwarding
/// flagged entities' jobs to staging when a route is set.
#[derive(Debug)]
pub struct WebhookService<S, F> {
    store: S,
    router: Router,
    staging: Option<StagingRoute<F>>,
    feed: Arc<DeliveryFeed>,
}

impl<S, F> WebhookService<S, F> {
    /// `staging` is set in production only, when `staging.url` is.
    pub fn new(store: S, router: Router, staging: Option<StagingRoute<F>>) -> Self {
        Self {
            store,
            router,
            staging,
            feed: Arc::default(),
        }
    }

    /// The live feed of recorded deliveries.
    pub fn feed(&self) -> &Arc<DeliveryFeed> {
        &self.feed
    }
}

impl<S: JobStore, F: crate::ports::StagingForwarder> WebhookService<S, F> {
    /// Whether deliveries can be stored now (readiness).
    pub async fn ready(&self) -> Result<(), crate::ports::StoreError> {
        self.store.check().await
    }

    /// Handles one delivery: decides its change, applies it with its event
    /// row in one store operation by `deadline`, and says what happened.
    /// `original` gives the delivery as received, for the staging proxy.
    pub async fn handle(
        &self,
        delivery: Delivery,
        original: impl FnOnce() -> Forwardable,
        deadline: Instant,
    ) -> Result<Handled, HandleError> {
        if let Some(route) = self
            .staging
            .as_ref()
            .filter(|route| route.applies(&delivery))
        {
            let handled = route
                .proxy(&self.store, &self.feed, delivery, &original(), deadline)
                .await?;
            return Ok(handled);
        }
        let record = self.record(delivery)?;
        let job_id = record.event.job_id;
        let draft = self.feed.draft(&record.event);
        let queue = match &record.change {
            Change::Job(report) => Some((report.placement.pool.clone(), report.queue_time())),
            _ => None,
        };
        Ok(match self.store.apply(record, deadline).await? {
            Applied::Recorded { event_id, outcome } => {
                count_transition(&outcome, queue);
                self.feed.announce(draft, event_id, outcome.code());
                Handled {
                    job_id: outcome.job_id().or(job_id),
                    answered: Answered::Recorded(outcome),
                }
            }
            Applied::Duplicate(prior) => Handled {
                answered: Answered::Duplicate(prior),
                job_id,
            },
        })
    }

    fn record(&self, delivery: Delivery) -> Result<DeliveryRecord, InvalidDelivery> {
        let (mut row, kind) = event_row(delivery);
        let change = match kind {
            DeliveryKind::Ping { body } => {
                row.payload = body;
                Change::Nothing(Outcome::Pong)
            }
            DeliveryKind::Installation { action, body } => {
                row.event = format!("{}.{action}", row.event);
                row.payload = body;
                Change::Nothing(Outcome::Logged {
                    event: row.event.clone(),
                })
            }
            DeliveryKind::WorkflowRun { action, run, body } => {
                row.event = format!("workflow_run.{action}");
                row.payload = body;
                Change::Run(run)
            }
            DeliveryKind::WorkflowJob(job) => self.job_change(&mut row, *job)?,
            DeliveryKind::Other { body } => {
                row.payload = body;
                Change::Nothing(Outcome::IgnoredEvent(row.event.clone()))
            }
        };
        Ok(DeliveryRecord { event: row, change })
    }

    /// A job delivery's action, routing and insert requirements (reading the
    /// payload and the staging proxy come first).
    fn job_change(
        &self,
        row: &mut EventRecord,
        delivery: JobDelivery,
    ) -> Result<Change, InvalidDelivery> {
        describe_job(row, &delivery);
        let JobDelivery {
            action,
            job,
            raw_labels,
            trimmed,
        } = delivery;
        let Some(action) = JobAction::parse(&action) else {
            row.payload = trimmed;
            return Ok(Change::Nothing(Outcome::IgnoredAction(action)));
        };
        let placement = match self
            .router
            .route(job.entity.id, &job.repo_full_name, &job.labels)
        {
            Route::Placed(placement) => placement,
            Route::Unrouted { .. } => {
                row.payload = json!({
                    "labels": raw_labels,
                    "html_url": job.html_url,
                    "full_name": job.repo_full_name,
                })
                .to_string();
                return Ok(Change::Nothing(Outcome::IgnoredNoLabel));
            }
        };
        if action == JobAction::Queued {
            if job.installation_id.is_none() {
                return Err(InvalidDelivery::MissingField("installation.id"));
            }
            if job.html_url.is_none() {
                return Err(InvalidDelivery::MissingField("workflow_job.html_url"));
            }
        }
        row.payload = trimmed;
        Ok(Change::Job(Box::new(JobReport {
            action,
            placement,
            job,
        })))
    }
}

/// `ghfe_jobs_transitions_total{to}`, and for a job that started running,
/// `ghfe_job_queue_duration_seconds{pool}`.
fn count_transition(outcome: &Outcome, queue: Option<(String, Option<std::time::Duration>)>) {
    let Some(to) = outcome.transition() else {
        return;
    };
    metrics::counter!("ghfe_jobs_transitions_total", "to" => to.as_str()).increment(1);
    if to == JobStatus::Running {
        if let Some((pool, Some(waited))) = queue {
            metrics::histogram!("ghfe_job_queue_duration_seconds", "pool" => pool)
                .record(waited.as_secs_f64());
        }
    }
}
