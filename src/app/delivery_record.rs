//! The event row a delivery starts from, shared by the webhook use case and
//! the staging proxy, and what handling a delivery answers.

use crate::domain::delivery::{Delivery, DeliveryKind, InvalidDelivery, JobDelivery};
use crate::domain::ids::JobId;
use crate::domain::outcome::Outcome;
use crate::ports::{EventRecord, EventSource, PriorOutcome, StoreError};

/// How an accepted delivery was handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answered {
    /// Recorded now, with this outcome.
    Recorded(Outcome),
    /// Its delivery id was recorded before, with this outcome.
    Duplicate(PriorOutcome),
}

/// An accepted delivery's answer and the job it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    pub answered: Answered,
    pub job_id: Option<JobId>,
}

impl Handled {
    /// The outcome code for logs and metrics: `duplicate` for a redelivery.
    pub fn outcome_code(&self) -> &str {
        match &self.answered {
            Answered::Recorded(outcome) => outcome.code(),
            Answered::Duplicate(_) => "duplicate",
        }
    }
}

/// Why a delivery was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// The payload lacks what its event requires.
    #[error(transparent)]
    Invalid(#[from] InvalidDelivery),
    /// The store failed; nothing was written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The event row a delivery starts from, and what is left to read of it.
pub fn event_row(delivery: Delivery) -> (EventRecord, DeliveryKind) {
    let Delivery {
        event,
        delivery_id,
        app_id,
        context,
        kind,
    } = delivery;
    let row = EventRecord {
        source: EventSource::Webhook,
        event,
        delivery_id,
        app_id: Some(app_id),
        installation_id: context.installation_id,
        entity: context.entity,
        job_id: None,
        repo_full_name: context.repo_full_name,
        payload: String::new(),
    };
    (row, kind)
}

/// What a job delivery's event row says about the job.
pub fn describe_job(row: &mut EventRecord, job: &JobDelivery) {
    row.event = format!("workflow_job.{}", job.action);
    row.job_id = Some(job.job.job_id);
    row.installation_id = job.job.installation_id;
    row.entity = Some(job.job.entity.clone());
    row.repo_full_name = Some(job.job.repo_full_name.clone());
}
