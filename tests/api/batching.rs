//! Group commit: concurrent deliveries share transactions, each answered
//! after its commit, and one failing delivery does not fail the others.

use futures_util::future::join_all;
use serde_json::json;

use crate::support::app::spawn_app;
use crate::support::fixtures::{body, job, set};

/// The value of one exposition line's series, if present.
fn value(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test]
async fn a_burst_of_deliveries_is_committed_in_shared_transactions() {
    let app = spawn_app().await;
    let ids: Vec<i64> = (1..=40).collect();
    let answers = join_all(ids.iter().map(|id| {
        app.deliver(
            "workflow_job",
            body(&job("workflow_job.queued.json", *id, &["ubuntu-latest"])),
        )
    }))
    .await;
    for (id, answer) in ids.iter().zip(&answers) {
        assert_eq!(
            (answer.status, answer.text.clone()),
            (200, format!("Job {id} stored."))
        );
    }
    assert_eq!(app.scalar("SELECT count(*) FROM jobs").await, 40);
    assert_eq!(
        app.scalar("SELECT count(*) FROM installation_events").await,
        40
    );
    let metrics = app.get("/metrics", None).await.text;
    let deliveries = value(&metrics, "ghfe_db_batch_size_sum").expect("batch sizes recorded");
    let batches = value(&metrics, "ghfe_db_batch_size_count").expect("batches counted");
    assert!(
        deliveries > batches,
        "{deliveries} deliveries in {batches} batches: nothing was shared"
    );
}

#[tokio::test]
async fn one_failing_delivery_does_not_fail_the_others_of_its_batch() {
    let app = spawn_app().await;
    // A constraint of the test's own database makes one delivery fail in SQL.
    app.db
        .batch_execute(
            "ALTER TABLE installation_events ADD CONSTRAINT poison \
             CHECK (repo_full_name IS DISTINCT FROM 'poison/repo')",
        )
        .await
        .unwrap();
    let documents: Vec<_> = (1..=30)
        .map(|id| {
            let document = job("workflow_job.queued.json", id, &["ubuntu-latest"]);
            if id == 15 {
                set(document, "repository.full_name", json!("poison/repo"))
            } else {
                document
            }
        })
        .collect();
    let answers = join_all(
        documents
            .iter()
            .map(|d| app.deliver("workflow_job", body(d))),
    )
    .await;
    for (index, answer) in answers.iter().enumerate() {
        let expected = if index == 14 { 500 } else { 200 };
        assert_eq!(
            answer.status,
            expected,
            "delivery {}: {}",
            index + 1,
            answer.text
        );
        if expected == 200 {
            // Stored by its retry, so nothing of the failed batch stayed.
            assert_eq!(answer.text, format!("Job {} stored.", index + 1));
        }
    }
    assert_eq!(app.scalar("SELECT count(*) FROM jobs").await, 29);
    assert_eq!(
        app.scalar("SELECT count(*) FROM jobs WHERE job_id = 15")
            .await,
        0
    );
    assert_eq!(
        app.scalar("SELECT count(*) FROM installation_events").await,
        29
    );
}

#[tokio::test]
async fn a_nul_character_in_a_payload_is_kept_as_a_replacement_character() {
    let app = spawn_app().await;
    let ping = r#"{"zen":"nul\u0000here","hook_id":1}"#;
    let answer = app.deliver("ping", ping).await;
    assert_eq!((answer.status, answer.text.as_str()), (200, "pong"));
    let zen: String = app
        .db
        .query_one("SELECT payload->>'zen' FROM installation_events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(zen, "nul\u{fffd}here");
}
