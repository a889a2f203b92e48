//! Deliveries applied together (in PostgreSQL, one batch statement) mean
//! what applying them one by one means. The in-memory store, which applies one at a time, is the
//! reference.

use futures_util::future::join_all;
use ghfe::adapters::memory::MemoryStore;
use ghfe::domain::ids::JobId;
use ghfe::domain::job::JobAction;
use ghfe::domain::outcome::Outcome;
use ghfe::ports::{Applied, DeliveryRecord, EventLog, JobStore, PriorOutcome};

use crate::records::{job, job_delivery, ping, report, ORG};

use JobAction::{Completed as Complete, InProgress, Queued};

/// Jobs 1 to 4 left pending, running, completed and failed.
fn earlier() -> Vec<DeliveryRecord> {
    let mut failed = report(4, Complete);
    failed.job.conclusion = Some("failure".into());
    vec![
        job(1, Queued, Some("e1")),
        job(2, Queued, Some("e2")),
        job(2, InProgress, Some("e3")),
        job(3, Queued, Some("e4")),
        job(3, Complete, Some("e5")),
        job_delivery(failed, Some("e6")),
    ]
}

/// One delivery for each case the statement decides, each on a job of
/// its own and with a delivery id; the ping goes in the same statement.
fn together() -> Vec<DeliveryRecord> {
    let mut without_installation = report(7, InProgress);
    without_installation.job.installation_id = None;
    vec![
        job(1, InProgress, Some("t1")),
        job(2, Complete, Some("t2")),
        job(3, InProgress, Some("t3")),
        job(4, Queued, Some("t4")),
        job(5, Queued, Some("t5")),
        job(6, Complete, Some("t6")),
        job_delivery(without_installation, Some("t7")),
        // The id of an earlier delivery: a duplicate, whatever it carries.
        job(8, InProgress, Some("e6")),
        ping(Some("t9")),
        job(11, Queued, Some("t11")),
        job(12, InProgress, Some("t12")),
        job(13, Queued, Some("t13")),
        job(14, Complete, Some("t14")),
    ]
}

fn comparable(applied: Applied) -> Result<Outcome, PriorOutcome> {
    match applied {
        Applied::Recorded { outcome, .. } => Ok(outcome),
        Applied::Duplicate(prior) => Err(prior),
    }
}

pub async fn deliveries_applied_together_mean_what_one_by_one_means<S: JobStore + EventLog>(
    store: S,
) {
    let reference = MemoryStore::new();
    for record in earlier() {
        store
            .apply(record.clone(), crate::records::soon())
            .await
            .expect("store available");
        reference
            .apply(record, crate::records::soon())
            .await
            .expect("reference available");
    }
    let answers = join_all(
        together()
            .into_iter()
            .map(|record| store.apply(record, crate::records::soon())),
    )
    .await;
    for (record, answer) in together().into_iter().zip(answers) {
        let label = record.event.delivery_id.clone();
        let expected = comparable(
            reference
                .apply(record, crate::records::soon())
                .await
                .unwrap(),
        );
        assert_eq!(
            comparable(answer.expect("store available")),
            expected,
            "{label:?}"
        );
    }
    for id in 1..=14 {
        assert_eq!(
            store.find_job(JobId(id)).await.unwrap(),
            reference.find_job(JobId(id)).await.unwrap(),
            "job {id}"
        );
    }
    // Delivered again, each repeats the outcome and response stored for it.
    for record in together()
        .into_iter()
        .filter(|r| r.event.delivery_id.is_some())
    {
        let label = record.event.delivery_id.clone();
        let again = comparable(
            store
                .apply(record.clone(), crate::records::soon())
                .await
                .unwrap(),
        );
        let expected = comparable(
            reference
                .apply(record, crate::records::soon())
                .await
                .unwrap(),
        );
        assert_eq!(again, expected, "{label:?} again");
    }
    let events = |events: Vec<ghfe::ports::EventSummary>| {
        let mut rows: Vec<_> = events
            .into_iter()
            .map(|event| {
                let place = (event.installation_id, event.app_id, event.repo_full_name);
                let entity = (event.entity_type, event.entity_id, event.entity_name);
                (
                    event.delivery_id,
                    event.event,
                    event.outcome,
                    event.job_id,
                    place,
                    entity,
                )
            })
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(
        events(store.events_for_entity(ORG, 100).await.unwrap()),
        events(reference.events_for_entity(ORG, 100).await.unwrap())
    );
}
