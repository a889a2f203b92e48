//! One function per clause of the store contract; each takes a fresh store.

use std::sync::Arc;

use futures_util::future::join_all;
use ghfe::domain::ids::{EntityId, EventId, InstallationId, JobId, RunId};
use ghfe::domain::job::{JobAction, JobEffect, JobStatus};
use ghfe::domain::outcome::Outcome;
use ghfe::ports::{Applied, EventLog, JobStore, PriorOutcome, StoreError};

use crate::records::{self, job, ping, report, INSTALLATION, ORG};

pub use crate::together::deliveries_applied_together_mean_what_one_by_one_means;

use JobAction::{Completed as Complete, InProgress, Queued};

/// Applies and expects the delivery to be recorded; returns its outcome.
async fn recorded<S: JobStore>(store: &S, record: ghfe::ports::DeliveryRecord) -> Outcome {
    match store
        .apply(record, crate::records::soon())
        .await
        .expect("store available")
    {
        Applied::Recorded { outcome, .. } => outcome,
        Applied::Duplicate(prior) => panic!("unexpected duplicate of {prior:?}"),
    }
}

async fn status<S: JobStore>(store: &S, id: i64) -> Option<JobStatus> {
    store
        .find_job(JobId(id))
        .await
        .expect("store available")
        .map(|row| row.status)
}

async fn event_count<S: EventLog>(store: &S) -> usize {
    store
        .events_for_entity(ORG, 10_000)
        .await
        .expect("store available")
        .len()
}

pub async fn queued_for_an_unknown_job_stores_it_pending<S: JobStore + EventLog>(store: S) {
    assert_eq!(
        recorded(&store, job(1, Queued, Some("d1"))).await,
        Outcome::JobStored(JobId(1))
    );
    assert_eq!(status(&store, 1).await, Some(JobStatus::Pending));
    assert_eq!(event_count(&store).await, 1);
}

pub async fn queued_for_a_known_job_changes_nothing<S: JobStore + EventLog>(store: S) {
    recorded(&store, job(1, Queued, Some("d1"))).await;
    let before = store.find_job(JobId(1)).await.unwrap();
    assert_eq!(
        recorded(&store, job(1, Queued, Some("d2"))).await,
        Outcome::JobAlreadyExists(JobId(1))
    );
    assert_eq!(store.find_job(JobId(1)).await.unwrap(), before);
    assert_eq!(event_count(&store).await, 2);
}

pub async fn status_only_moves_forward<S: JobStore + EventLog>(store: S) {
    let sequences: [(&[JobAction], JobStatus, &[&str]); 4] = [
        (
            &[Queued, InProgress, Complete],
            JobStatus::Completed,
            &["job_stored", "job_marked_running", "job_marked_completed"],
        ),
        (
            &[Queued, Complete, InProgress],
            JobStatus::Completed,
            &["job_stored", "job_marked_completed", "job_marked_running"],
        ),
        (
            &[Queued, InProgress, InProgress],
            JobStatus::Running,
            &["job_stored", "job_marked_running", "job_marked_running"],
        ),
        (
            &[Complete, InProgress, Complete],
            JobStatus::Completed,
            &[
                "job_stored_out_of_order",
                "job_marked_running",
                "job_marked_completed",
            ],
        ),
    ];
    for (index, (actions, final_status, codes)) in sequences.into_iter().enumerate() {
        let id = 100 + i64::try_from(index).unwrap();
        let mut outcomes = Vec::new();
        for action in actions {
            outcomes.push(recorded(&store, job(id, *action, None)).await.code());
        }
        assert_eq!(outcomes, codes, "{actions:?}");
        assert_eq!(status(&store, id).await, Some(final_status), "{actions:?}");
    }
}

pub async fn an_out_of_order_delivery_leaves_a_tombstone<S: JobStore + EventLog>(store: S) {
    let outcome = recorded(&store, job(7, InProgress, None)).await;
    assert_eq!(
        outcome,
        Outcome::JobStoredOutOfOrder {
            job: JobId(7),
            status: JobStatus::Running
        }
    );
    assert_eq!(
        recorded(&store, job(7, Queued, None)).await,
        Outcome::JobAlreadyExists(JobId(7))
    );
    assert_eq!(status(&store, 7).await, Some(JobStatus::Running));
}

pub async fn an_unknown_job_without_installation_is_not_found_and_not_stored<
    S: JobStore + EventLog,
>(
    store: S,
) {
    let mut incomplete = report(8, Complete);
    incomplete.job.installation_id = None;
    let outcome = recorded(&store, records::job_delivery(incomplete, None)).await;
    assert_eq!(outcome, Outcome::JobNotFound(JobId(8)));
    assert_eq!(status(&store, 8).await, None);
    assert_eq!(event_count(&store).await, 1, "the event row is kept");
}

pub async fn a_stored_job_reads_back_as_written<S: JobStore + EventLog>(store: S) {
    recorded(&store, job(3, Queued, None)).await;
    let expected = report(3, Queued).new_row(JobStatus::Pending).unwrap();
    assert_eq!(store.find_job(JobId(3)).await.unwrap(), Some(expected));
    assert_eq!(store.find_job(JobId(4)).await.unwrap(), None);
}

pub async fn transitions_fill_pod_and_times_like_the_domain<S: JobStore + EventLog>(store: S) {
    let mut queued = report(5, Queued);
    queued.job.runner_name = None;
    recorded(&store, records::job_delivery(queued.clone(), None)).await;
    let mut expected = queued.new_row(JobStatus::Pending).unwrap();
    for action in [InProgress, Complete] {
        let delivery = report(5, action);
        let effect = if action == InProgress {
            JobEffect::MarkRunning
        } else {
            JobEffect::MarkCompleted
        };
        expected.advance(effect, &delivery.progress());
        recorded(&store, records::job_delivery(delivery, None)).await;
        assert_eq!(
            store.find_job(JobId(5)).await.unwrap().as_ref(),
            Some(&expected),
            "after {action:?}"
        );
    }
}

pub async fn a_seen_delivery_id_is_a_duplicate_that_changes_nothing<S: JobStore + EventLog>(
    store: S,
) {
    recorded(&store, job(1, Queued, Some("guid"))).await;
    let again = store
        .apply(job(1, Queued, Some("guid")), crate::records::soon())
        .await
        .unwrap();
    let prior = PriorOutcome {
        code: "job_stored".into(),
        message: "Job 1 stored.".into(),
    };
    assert_eq!(again, Applied::Duplicate(prior));
    // The same GUID with other content is still the same delivery.
    assert!(matches!(
        store
            .apply(ping(Some("guid")), crate::records::soon())
            .await
            .unwrap(),
        Applied::Duplicate(_)
    ));
    assert_eq!(event_count(&store).await, 1);
}

pub async fn a_duplicate_repeats_its_first_outcome_after_later_changes<S: JobStore + EventLog>(
    store: S,
) {
    recorded(&store, job(1, Queued, None)).await;
    recorded(&store, job(1, InProgress, Some("running"))).await;
    recorded(&store, job(1, Complete, None)).await;
    let replay = store
        .apply(job(1, InProgress, Some("running")), crate::records::soon())
        .await
        .unwrap();
    let prior = PriorOutcome {
        code: "job_marked_running".into(),
        message: "Job 1 marked running (was pending).".into(),
    };
    assert_eq!(replay, Applied::Duplicate(prior));
    assert_eq!(status(&store, 1).await, Some(JobStatus::Completed));
}

pub async fn deliveries_without_an_id_are_never_deduplicated<S: JobStore + EventLog>(store: S) {
    for _ in 0..3 {
        assert_eq!(recorded(&store, ping(None)).await, Outcome::Pong);
    }
    assert_eq!(event_count(&store).await, 3);
}

pub async fn concurrent_duplicate_deliveries_yield_one_job_and_one_event<S: JobStore + EventLog>(
    store: S,
) {
    let store = Arc::new(store);
    let attempts = (0..16).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .apply(job(9, Queued, Some("one-guid")), crate::records::soon())
                .await
                .unwrap()
        })
    });
    let results: Vec<Applied> = join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let stored = results
        .iter()
        .filter(|r| matches!(r, Applied::Recorded { .. }))
        .count();
    assert_eq!(stored, 1, "{results:?}");
    assert_eq!(event_count(&*store).await, 1);
    assert_eq!(status(&*store, 9).await, Some(JobStatus::Pending));
}

pub async fn concurrent_deliveries_for_one_job_yield_one_consistent_row<S: JobStore + EventLog>(
    store: S,
) {
    let store = Arc::new(store);
    for id in 200..210 {
        let attempts = [Queued, InProgress, Complete, Queued]
            .into_iter()
            .map(|action| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .apply(job(id, action, None), crate::records::soon())
                        .await
                        .unwrap()
                })
            });
        for result in join_all(attempts).await {
            assert!(matches!(result.unwrap(), Applied::Recorded { .. }));
        }
        // Whatever the order, `completed` was delivered with a full payload.
        assert_eq!(
            status(&*store, id).await,
            Some(JobStatus::Completed),
            "job {id}"
        );
    }
    assert_eq!(event_count(&*store).await, 40);
}

pub async fn a_run_delivery_is_recorded<S: JobStore + EventLog>(store: S) {
    assert_eq!(
        recorded(&store, records::run(77, "in_progress")).await,
        Outcome::RunRecorded(RunId(77))
    );
    assert_eq!(
        recorded(&store, records::run(77, "requested")).await,
        Outcome::RunRecorded(RunId(77))
    );
    assert_eq!(event_count(&store).await, 2);
}

pub async fn event_rows_carry_outcome_entity_and_payload<S: JobStore + EventLog>(store: S) {
    let Applied::Recorded { event_id, .. } = store
        .apply(job(1, Queued, Some("g")), crate::records::soon())
        .await
        .unwrap()
    else {
        panic!("not recorded");
    };
    let events = store.events_for_entity(ORG, 10).await.unwrap();
    let event = &events[0];
    assert_eq!(event.id, event_id);
    assert_eq!(
        (
            event.event.as_str(),
            event.outcome.as_str(),
            event.source.as_str()
        ),
        ("workflow_job.queued", "job_stored", "webhook")
    );
    assert_eq!(event.delivery_id.as_deref(), Some("g"));
    assert_eq!(
        (event.installation_id, event.entity_id, event.job_id),
        (Some(INSTALLATION), Some(ORG), Some(JobId(1)))
    );
    assert_eq!(
        (event.entity_type.as_deref(), event.entity_name.as_deref()),
        (Some("Organization"), Some("acme"))
    );
    assert_eq!(event.repo_full_name.as_deref(), Some("acme/app"));
    let found = store.find_event(event_id).await.unwrap();
    assert_eq!(found.as_ref(), Some(event), "found by id as listed");
    let unknown = EventId(event_id.0 + 100);
    assert_eq!(store.find_event(unknown).await.unwrap(), None);
    let payload = store.event_payload(event_id).await.unwrap();
    assert_eq!(
        payload,
        Some(serde_json::json!({"event": "workflow_job.queued", "job": 1}))
    );
}

pub async fn events_come_oldest_first_within_the_limit<S: JobStore + EventLog>(store: S) {
    for id in 1..=5 {
        recorded(&store, job(id, Queued, None)).await;
    }
    let jobs = |events: Vec<ghfe::ports::EventSummary>| {
        events
            .iter()
            .map(|e| e.job_id.unwrap().0)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        jobs(store.events_for_entity(ORG, 100).await.unwrap()),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(
        jobs(store.events_for_entity(ORG, 2).await.unwrap()),
        [4, 5],
        "the newest, oldest first"
    );
    assert!(store
        .events_for_entity(EntityId(1), 100)
        .await
        .unwrap()
        .is_empty());
}

pub async fn events_are_searched_newest_first_and_counted<S: JobStore + EventLog>(store: S) {
    use ghfe::domain::event_query::EventQuery;
    use ghfe::ports::EventCount;

    recorded(&store, ping(None)).await;
    for id in 1..=3 {
        recorded(&store, job(id, Queued, None)).await;
    }
    recorded(&store, job(1, InProgress, None)).await;
    recorded(&store, records::run(9, "completed")).await;
    let search = |pairs: &'static [(&'static str, &'static str)]| {
        let query =
            EventQuery::parse(|name| pairs.iter().find(|(key, _)| *key == name).map(|(_, v)| *v))
                .unwrap();
        let store = &store;
        async move {
            let page = store.search_events(&query).await.unwrap();
            let rows: Vec<(String, Option<i64>)> = page
                .events
                .iter()
                .map(|e| (e.event.clone(), e.job_id.map(|id| id.0)))
                .collect();
            (rows, page.total)
        }
    };
    let row = |event: &str, job: Option<i64>| (event.to_owned(), job);
    assert_eq!(
        search(&[("event", "workflow_job"), ("limit", "2"), ("offset", "1")]).await,
        (
            vec![
                row("workflow_job.queued", Some(3)),
                row("workflow_job.queued", Some(2))
            ],
            4
        ),
        "newest first, paged, total of all matches"
    );
    assert_eq!(
        search(&[("event", "workflow_job.in_progress")]).await,
        (vec![row("workflow_job.in_progress", Some(1))], 1)
    );
    assert_eq!(
        search(&[("outcome", "ok")]).await,
        (vec![row("ping", None)], 1)
    );
    assert_eq!(search(&[("event", "workflow")]).await, (vec![], 0));
    assert_eq!(search(&[("repository", "acme/app")]).await.1, 6);
    assert_eq!(search(&[("entity_id", "1")]).await.1, 0);

    let counts = store
        .count_events(chrono::DateTime::UNIX_EPOCH)
        .await
        .unwrap();
    let count = |event: &str, outcome: &str, count: u64| EventCount {
        event: event.into(),
        outcome: outcome.into(),
        count,
    };
    assert_eq!(
        counts,
        [
            count("ping", "ok", 1),
            count("workflow_job.in_progress", "job_marked_running", 1),
            count("workflow_job.queued", "job_stored", 3),
            count("workflow_run.completed", "run_recorded", 1),
        ]
    );
    let later = chrono::Utc::now() + chrono::TimeDelta::hours(1);
    assert!(store.count_events(later).await.unwrap().is_empty());
}

pub async fn an_installation_resolves_through_events_then_jobs<S: JobStore + EventLog>(store: S) {
    assert_eq!(
        store
            .entity_of_installation_events(INSTALLATION)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .entity_of_installation_jobs(INSTALLATION)
            .await
            .unwrap(),
        None
    );
    recorded(&store, job(1, Queued, None)).await;
    assert_eq!(
        store
            .entity_of_installation_events(INSTALLATION)
            .await
            .unwrap(),
        Some(ORG)
    );
    assert_eq!(
        store
            .entity_of_installation_jobs(INSTALLATION)
            .await
            .unwrap(),
        Some(ORG)
    );
    assert_eq!(
        store
            .entity_of_installation_events(InstallationId(1))
            .await
            .unwrap(),
        None
    );
}

pub async fn an_unreachable_store_answers_unavailable<S: JobStore + EventLog>(store: S) {
    let unavailable =
        |result: Result<(), StoreError>| matches!(result, Err(StoreError::Unavailable(_)));
    assert!(unavailable(
        store
            .apply(job(1, Queued, Some("x")), crate::records::soon())
            .await
            .map(drop)
    ));
    assert!(unavailable(store.find_job(JobId(1)).await.map(drop)));
    assert!(unavailable(store.check().await));
    assert!(unavailable(store.events_for_entity(ORG, 1).await.map(drop)));
}
