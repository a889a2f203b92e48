//! The staging proxy: in production, a flagged
//! entity's `workflow_job` delivery goes to staging as received; ghfe
//! records `proxied_to_staging` and relays staging's answer, or answers 502
//! `staging proxy failed` when staging gives none in time.
//!
//! The event row keeps the delivery id only when staging answered 2xx, so a
//! redelivery of a failed forward is forwarded again instead of being
//! answered as a duplicate.

use std::time::Instant;

use crate::domain::delivery::{Delivery, DeliveryKind};
use crate::domain::outcome::Outcome;
use crate::domain::staging::StagingPolicy;
use crate::ports::{Applied, Change, DeliveryRecord, Forwardable, JobStore, StagingForwarder};

use super::delivery_feed::DeliveryFeed;
use super::delivery_record::{describe_job, event_row, Answered, HandleError, Handled};

/// Where and what production forwards.
#[derive(Debug)]
pub struct StagingRoute<F> {
    pub forwarder: F,
    pub policy: StagingPolicy,
}

impl<F> StagingRoute<F> {
    /// Whether `delivery` is a flagged entity's job delivery.
    pub fn applies(&self, delivery: &Delivery) -> bool {
        match &delivery.kind {
            DeliveryKind::WorkflowJob(job) => self
                .policy
                .forwards(job.job.entity.id, &job.job.repo_full_name),
            _ => false,
        }
    }
}

impl<F: StagingForwarder> StagingRoute<F> {
    /// Forwards, records, and relays.
    pub(super) async fn proxy<S: JobStore>(
        &self,
        store: &S,
        feed: &DeliveryFeed,
        delivery: Delivery,
        original: &Forwardable,
        deadline: Instant,
    ) -> Result<Handled, HandleError> {
        let outcome = match self.forwarder.forward(original).await {
            Ok(relayed) => Outcome::ProxiedToStaging {
                status: relayed.status,
                body: relayed.body,
            },
            Err(error) => {
                tracing::warn!(%error, "staging proxy failed");
                Outcome::StagingProxyFailed
            }
        };
        metrics::counter!("ghfe_staging_forward_total", "result" => outcome.code()).increment(1);
        let (mut row, kind) = event_row(delivery);
        if let DeliveryKind::WorkflowJob(job) = kind {
            describe_job(&mut row, &job);
            row.payload = job.trimmed;
        }
        let accepted = matches!(&outcome, Outcome::ProxiedToStaging { status, .. } if (200..300).contains(status));
        if !accepted {
            row.delivery_id = None;
        }
        let job_id = row.job_id;
        let draft = feed.draft(&row);
        let record = DeliveryRecord {
            event: row,
            change: Change::Nothing(outcome.clone()),
        };
        // A duplicate was forwarded all the same: staging's answer stands.
        if let Applied::Recorded { event_id, .. } = store.apply(record, deadline).await? {
            feed.announce(draft, event_id, outcome.code());
        }
        Ok(Handled {
            answered: Answered::Recorded(outcome),
            job_id,
        })
    }
}
