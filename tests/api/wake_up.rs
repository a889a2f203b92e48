//! the scheduler, listening on `<schema>_queue_event`, is woken
//! after a pending job commits — and only then, coalesced.

use std::time::Duration;

use futures_util::future::join_all;
use tokio::sync::mpsc;

use crate::support::app::{spawn_app, spawn_app_with, TestApp};
use crate::support::fixtures::{self, body, job};
use crate::support::wake::{self, next};

async fn listen(app: &TestApp) -> mpsc::UnboundedReceiver<String> {
    wake::listen(&app.db_url).await
}

#[tokio::test]
async fn a_stored_pending_job_wakes_the_scheduler_with_its_id() {
    let app = spawn_app().await;
    let mut notifications = listen(&app).await;
    let answer = app
        .deliver(
            "workflow_job",
            body(&job("workflow_job.queued.json", 31, &["ubuntu-latest"])),
        )
        .await;
    assert_eq!(answer.text, "Job 31 stored.");
    assert_eq!(next(&mut notifications).await, "31");
}

#[tokio::test]
async fn only_a_committed_pending_job_wakes_the_scheduler() {
    let app = spawn_app().await;
    let mut notifications = listen(&app).await;
    let refused = fixtures::remove(
        job("workflow_job.queued.json", 1, &["ubuntu-latest"]),
        "installation",
    );
    assert_eq!(
        app.deliver("workflow_job", body(&refused)).await.status,
        400
    );
    let tombstone = job("workflow_job.in_progress.json", 2, &["ubuntu-latest"]);
    assert_eq!(
        app.deliver("workflow_job", body(&tombstone)).await.text,
        "Job 2 stored as running."
    );
    let unrouted = job("workflow_job.queued.json", 3, &["other"]);
    assert_eq!(
        app.deliver("workflow_job", body(&unrouted)).await.status,
        200
    );
    app.deliver("ping", fixtures::bytes("ping.json")).await;
    // Anything the deliveries above had sent would have arrived by now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.deliver(
        "workflow_job",
        body(&job("workflow_job.queued.json", 4, &["ubuntu-latest"])),
    )
    .await;
    assert_eq!(next(&mut notifications).await, "4");
}

#[tokio::test]
async fn a_burst_of_pending_jobs_shares_wake_ups() {
    let app = spawn_app_with(|s| s.database.notify_interval_ms = 300).await;
    let mut notifications = listen(&app).await;
    let jobs: Vec<i64> = (100..120).collect();
    let answers = join_all(jobs.iter().map(|id| {
        app.deliver(
            "workflow_job",
            body(&job("workflow_job.queued.json", *id, &["ubuntu-latest"])),
        )
    }))
    .await;
    assert!(answers.iter().all(|answer| answer.status == 200));
    let mut received = vec![next(&mut notifications).await];
    while let Ok(Some(payload)) =
        tokio::time::timeout(Duration::from_millis(900), notifications.recv()).await
    {
        received.push(payload);
    }
    assert!(
        received.len() < jobs.len() / 2,
        "{} notifications for {} jobs",
        received.len(),
        jobs.len()
    );
    let last: i64 = received.last().unwrap().parse().unwrap();
    assert!(jobs.contains(&last));
}
