//! Liveness, readiness, metrics and unknown routes.

use crate::support::app::spawn_app;
use crate::support::fixtures;

#[tokio::test]
async fn health_and_readiness_answer_when_all_is_well() {
    let app = spawn_app().await;
    let health = app.get("/health", None).await;
    assert_eq!((health.status, health.text.as_str()), (200, "ok"));
    let ready = app.get("/ready", None).await;
    assert_eq!((ready.status, ready.text.as_str()), (200, "ready"));
}

#[tokio::test]
async fn metrics_count_deliveries_by_event_and_outcome() {
    let app = spawn_app().await;
    app.deliver("ping", fixtures::bytes("ping.json")).await;
    let metrics = app.get("/metrics", None).await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .text
            .lines()
            .any(|line| line.starts_with("ghfe_webhook_deliveries_total{")
                && line.contains("event=\"ping\"")
                && line.contains("outcome=\"ok\"")),
        "{}",
        metrics.text
    );
    assert!(metrics
        .text
        .contains("ghfe_webhook_duration_seconds_bucket"));
}

#[tokio::test]
async fn unknown_routes_are_not_found() {
    let app = spawn_app().await;
    let answer = app.get("/nowhere", None).await;
    assert_eq!((answer.status, answer.text.as_str()), (404, "Not Found"));
}

/// The value of one exposition line's series, if present.
fn value(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

// Counters are process-wide: under `cargo test` other tests add to them,
// so only "at least one" is asserted.
#[tokio::test]
async fn metrics_count_job_transitions_and_queue_time() {
    let app = spawn_app().await;
    app.deliver("workflow_job", fixtures::bytes("workflow_job.queued.json"))
        .await;
    app.deliver(
        "workflow_job",
        fixtures::bytes("workflow_job.in_progress.json"),
    )
    .await;
    let metrics = app.get("/metrics", None).await.text;
    for series in [
        "ghfe_jobs_transitions_total{to=\"pending\"}",
        "ghfe_jobs_transitions_total{to=\"running\"}",
        "ghfe_job_queue_duration_seconds_count{pool=\"fixture-pool\"}",
    ] {
        assert!(
            value(&metrics, series) >= Some(1.0),
            "no {series} in\n{metrics}"
        );
    }
}
