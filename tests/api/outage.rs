//! When the database is unreachable nothing is acknowledged (503 with
//! Retry-After), and service resumes without a restart.

use crate::support::app::{self, Post, TestApp};
use crate::support::fixtures;
use crate::support::proxy::Proxy;

async fn behind_proxy() -> (TestApp, Proxy) {
    app::spawn_behind_proxy(|_| {}).await
}

#[tokio::test]
async fn an_outage_answers_503_and_a_retry_after_recovery_is_stored() {
    let (app, proxy) = behind_proxy().await;
    assert_eq!(
        app.deliver("ping", fixtures::bytes("ping.json"))
            .await
            .status,
        200
    );
    assert_eq!(app.get("/ready", None).await.status, 200);

    proxy.cut();
    let queued = Post::new("workflow_job", fixtures::bytes("workflow_job.queued.json"))
        .delivery(Some("during-outage"));
    let refused = app.send(queued.clone()).await;
    assert_eq!(
        (refused.status, refused.text.as_str()),
        (503, "Service Unavailable")
    );
    assert!(refused.headers.contains_key("retry-after"));
    assert_eq!(app.get("/ready", None).await.status, 503);
    assert_eq!(
        app.get("/health", None).await.status,
        200,
        "liveness does not depend on the database"
    );

    proxy.restore();
    assert_eq!(app.get("/ready", None).await.status, 200);
    let retried = app.send(queued).await;
    assert_eq!(
        (retried.status, retried.text.as_str()),
        (200, "Job 289782451 stored."),
        "the failed GUID has no row"
    );
    assert_eq!(
        app.scalar("SELECT count(*) FROM installation_events").await,
        2
    );
}

#[tokio::test]
async fn an_unreachable_database_at_start_up_is_not_fatal() {
    // The pool connects lazily: cutting right after start-up is cutting before it.
    let (app, proxy) = behind_proxy().await;
    proxy.cut();
    assert_eq!(
        app.deliver("ping", fixtures::bytes("ping.json"))
            .await
            .status,
        503
    );
    proxy.restore();
    assert_eq!(
        app.deliver("ping", fixtures::bytes("ping.json"))
            .await
            .status,
        200
    );
}
