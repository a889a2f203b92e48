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

#[tokio::test]
async fn every_metric_is_described_and_demand_is_gauged_per_pool() {
    use crate::support::app::spawn_app_with;
    use crate::support::fixtures::{body, job};
    use ghfe::config::{MatchModeSetting, RuleSettings};
    use std::time::{Duration, Instant};

    let app = spawn_app_with(|s| {
        s.routing.rules.insert(
            0,
            RuleSettings {
                name: "gauged".into(),
                scope: None,
                labels: vec!["gauged-label".into()],
                pool: "gauged-pool".into(),
                image: "img".into(),
                priority: 0,
                mode: MatchModeSetting::Exact,
            },
        );
    })
    .await;
    for id in [61, 62] {
        app.deliver(
            "workflow_job",
            body(&job("workflow_job.queued.json", id, &["gauged-label"])),
        )
        .await;
    }
    app.db
        .batch_execute("UPDATE jobs SET created_at = now() - interval '1 hour' WHERE job_id = 61")
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let metrics = loop {
        let metrics = app.get("/metrics", None).await.text;
        if value(
            &metrics,
            "ghfe_jobs{pool=\"gauged-pool\",status=\"pending\"}",
        ) == Some(2.0)
        {
            break metrics;
        }
        assert!(Instant::now() < deadline, "no demand gauge in\n{metrics}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let oldest = value(
        &metrics,
        "ghfe_oldest_pending_job_age_seconds{pool=\"gauged-pool\"}",
    );
    assert!(oldest.is_some_and(|age| age >= 3600.0), "{oldest:?}");
    assert_eq!(value(&metrics, "ghfe_database_up"), Some(1.0));
    assert!(metrics.contains("ghfe_build_info{version=\""), "{metrics}");
    // Every family has its help and type.
    let families: std::collections::BTreeSet<&str> = metrics
        .lines()
        .filter(|line| line.starts_with("ghfe_"))
        .filter_map(|line| line.split(['{', ' ']).next())
        .map(|name| {
            ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .unwrap_or(name)
        })
        .collect();
    for family in families {
        assert!(
            metrics.contains(&format!("# HELP {family} ")),
            "no help for {family}"
        );
        assert!(
            metrics.contains(&format!("# TYPE {family} ")),
            "no type for {family}"
        );
    }
}
