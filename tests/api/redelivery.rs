//! a delivery GUID is applied once; redeliveries repeat the
//! first answer and change nothing.

use futures_util::future::join_all;

use crate::support::app::{spawn_app, Post};
use crate::support::fixtures;

const JOB: i64 = 289_782_451;

fn queued(delivery: &str) -> Post {
    Post::new("workflow_job", fixtures::bytes("workflow_job.queued.json")).delivery(Some(delivery))
}

#[tokio::test]
async fn a_redelivery_repeats_the_first_answer_and_changes_nothing() {
    let app = spawn_app().await;
    assert_eq!(
        app.send(queued("guid-1")).await.text,
        format!("Job {JOB} stored.")
    );
    let again = app.send(queued("guid-1")).await;
    assert_eq!(
        (again.status, again.text),
        (200, format!("Duplicate delivery: Job {JOB} stored."))
    );
    assert_eq!(
        app.scalar("SELECT count(*) FROM installation_events").await,
        1
    );
    assert_eq!(app.scalar("SELECT count(*) FROM jobs").await, 1);
}

#[tokio::test]
async fn a_redelivery_after_later_changes_repeats_its_own_first_answer() {
    let app = spawn_app().await;
    app.send(queued("q")).await;
    let running = Post::new(
        "workflow_job",
        fixtures::bytes("workflow_job.in_progress.json"),
    )
    .delivery(Some("run"));
    app.send(running.clone()).await;
    let completed = fixtures::bytes("workflow_job.completed.success.with-organization.json");
    app.deliver("workflow_job", completed).await;
    let replay = app.send(running).await;
    assert_eq!(
        replay.text,
        format!("Duplicate delivery: Job {JOB} marked running (was pending).")
    );
    assert_eq!(app.job_status(JOB).await.as_deref(), Some("completed"));
    assert_eq!(
        app.scalar("SELECT count(*) FROM installation_events").await,
        3
    );
}

#[tokio::test]
async fn ignored_deliveries_are_deduplicated_too() {
    let app = spawn_app().await;
    let ping = Post::new("ping", fixtures::bytes("ping.json")).delivery(Some("p"));
    app.send(ping.clone()).await;
    assert_eq!(app.send(ping).await.text, "Duplicate delivery: pong");
    assert_eq!(
        app.scalar("SELECT count(*) FROM installation_events").await,
        1
    );
}

#[tokio::test]
async fn deliveries_without_a_guid_are_never_deduplicated() {
    let app = spawn_app().await;
    for _ in 0..2 {
        let answer = app
            .send(Post::new("ping", fixtures::bytes("ping.json")).delivery(None))
            .await;
        assert_eq!(answer.text, "pong");
    }
    assert_eq!(
        app.scalar("SELECT count(*) FROM installation_events WHERE delivery_id IS NULL")
            .await,
        2
    );
}

#[tokio::test]
async fn concurrent_copies_of_one_delivery_store_one_job_and_one_event() {
    let app = spawn_app().await;
    let answers = join_all((0..12).map(|_| app.send(queued("same-guid")))).await;
    let stored = answers
        .iter()
        .filter(|a| a.text == format!("Job {JOB} stored."))
        .count();
    let duplicates = answers
        .iter()
        .filter(|a| a.text == format!("Duplicate delivery: Job {JOB} stored."))
        .count();
    assert_eq!((stored, duplicates), (1, 11), "{answers:?}");
    assert_eq!(app.scalar("SELECT count(*) FROM jobs").await, 1);
    assert_eq!(
        app.scalar("SELECT count(*) FROM installation_events").await,
        1
    );
}
