//! Faults of the database answered in time: a job row another transaction
//! holds delays only that job's delivery, up to the deadline; a database
//! that stops answering gets a 503 by the deadline, and a redelivery is
//! answered correctly afterwards.

use std::time::Duration;

use futures_util::future::join_all;
use tokio::time::timeout;

use crate::support::app::{spawn_app_with, spawn_behind_proxy, Post, TestApp};
use crate::support::db;
use crate::support::fixtures::{body, job};

/// Longer than any answer in these tests takes unless something hangs.
const HANG: Duration = Duration::from_secs(6);

fn delivery(fixture: &str, id: i64) -> Post {
    Post::new("workflow_job", body(&job(fixture, id, &["ubuntu-latest"])))
}

/// A second connection that holds job `id`'s row, as the scheduler does
/// for a whole iteration, until it is dropped or committed.
async fn hold_row(app: &TestApp, id: i64) -> tokio_postgres::Client {
    let holder = db::connect(&app.db_url).await;
    holder
        .batch_execute(&format!(
            "BEGIN; UPDATE jobs SET updated_at = now() WHERE job_id = {id}"
        ))
        .await
        .unwrap();
    holder
}

#[tokio::test]
async fn a_row_held_by_another_transaction_delays_only_its_own_delivery() {
    let app = spawn_app_with(|_| {}).await;
    let stored = app.send(delivery("workflow_job.queued.json", 1)).await;
    assert_eq!(stored.status, 200);
    let holder = hold_row(&app, 1).await;

    let app = std::sync::Arc::new(app);
    let blocked = {
        let app = app.clone();
        tokio::spawn(async move { app.send(delivery("workflow_job.in_progress.json", 1)).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let others = timeout(
        HANG,
        join_all((2..=9).map(|id| app.send(delivery("workflow_job.queued.json", id)))),
    )
    .await
    .expect("deliveries for other jobs are answered while the row is held");
    for (id, answer) in (2..=9).zip(others) {
        assert_eq!(
            (answer.status, answer.text),
            (200, format!("Job {id} stored."))
        );
    }
    assert!(
        !blocked.is_finished(),
        "the held job's delivery waits for its row"
    );

    holder.batch_execute("COMMIT").await.unwrap();
    let answer = timeout(HANG, blocked).await.unwrap().unwrap();
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (200, "Job 1 marked running (was pending).")
    );
    assert_eq!(app.job_status(1).await.as_deref(), Some("running"));
}

#[tokio::test]
async fn a_row_held_past_the_deadline_answers_503_and_writes_nothing() {
    let app = spawn_app_with(|settings| settings.webhook.deadline_ms = 1000).await;
    assert_eq!(
        app.send(delivery("workflow_job.queued.json", 1))
            .await
            .status,
        200
    );
    let holder = hold_row(&app, 1).await;
    let running = delivery("workflow_job.in_progress.json", 1).delivery(Some("held-guid"));

    let refused = timeout(HANG, app.send(running.clone())).await.unwrap();
    assert_eq!(
        (refused.status, refused.text.as_str()),
        (503, "Service Unavailable")
    );
    assert!(refused.headers.contains_key("retry-after"));
    assert_eq!(
        app.scalar("SELECT count(*) FROM installation_events").await,
        1
    );

    drop(holder);
    let retried = app.send(running).await;
    assert_eq!(
        (retried.status, retried.text.as_str()),
        (200, "Job 1 marked running (was pending)."),
        "nothing of the refused attempt was kept"
    );
}

#[tokio::test]
async fn a_database_that_stops_answering_gets_503_by_the_deadline() {
    let (app, proxy) = spawn_behind_proxy(|settings| {
        settings.webhook.deadline_ms = 1000;
        settings.database.statement_timeout_ms = 1500;
    })
    .await;
    assert_eq!(
        app.send(delivery("workflow_job.queued.json", 1))
            .await
            .status,
        200
    );

    proxy.freeze();
    let queued = delivery("workflow_job.queued.json", 2).delivery(Some("frozen-guid"));
    let refused = timeout(HANG, app.send(queued.clone()))
        .await
        .expect("answered while the database is frozen");
    assert_eq!(
        (refused.status, refused.text.as_str()),
        (503, "Service Unavailable")
    );
    assert!(refused.headers.contains_key("retry-after"));
    let ready = timeout(Duration::from_secs(3), app.get("/ready", None))
        .await
        .expect("/ready answers while the database is frozen");
    assert_eq!(ready.status, 503);

    proxy.thaw();
    let mut ready = 0;
    for _ in 0..50 {
        ready = app.get("/ready", None).await.status;
        if ready == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ready, 200, "ready again once the database answers");
    // Whether the frozen attempt committed is unknowable to GitHub; either
    // way its redelivery gets the right answer and one row.
    let retried = app.send(queued).await;
    assert_eq!(retried.status, 200);
    assert!(
        ["Job 2 stored.", "Duplicate delivery: Job 2 stored."].contains(&retried.text.as_str()),
        "{}",
        retried.text
    );
    assert_eq!(
        app.scalar("SELECT count(*) FROM jobs WHERE job_id = 2")
            .await,
        1
    );
    assert_eq!(
        app.scalar("SELECT count(*) FROM installation_events WHERE delivery_id = 'frozen-guid'")
            .await,
        1
    );
}
