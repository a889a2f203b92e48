//! Payloads ghfe accepts but PostgreSQL could not store: each gets a clear
//! answer, never a 500 that every redelivery would repeat.

use serde_json::json;

use crate::support::app::{spawn_app, Post, SECRET};
use crate::support::fixtures::{body, job, set};
use ghfe::adapters::http::signature::sign;

#[tokio::test]
async fn a_nul_in_a_job_name_is_stored_as_a_replacement_character() {
    let app = spawn_app().await;
    let document = set(
        job("workflow_job.queued.json", 1, &["ubuntu-latest"]),
        "workflow_job.name",
        json!("build\u{0}nightly"),
    );
    let text = body(&document);
    assert!(String::from_utf8_lossy(&text).contains("\\u0000"));
    let answer = app.deliver("workflow_job", text).await;
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (200, "Job 1 stored.")
    );
    let name: String = app
        .db
        .query_one("SELECT job_name FROM jobs WHERE job_id = 1", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, "build\u{fffd}nightly");
}

#[tokio::test]
async fn a_lone_surrogate_is_stored_as_a_replacement_character() {
    let app = spawn_app().await;
    // serde_json cannot write a lone surrogate: splice the escape in.
    let document = set(
        job("workflow_job.queued.json", 1, &["ubuntu-latest"]),
        "workflow_job.name",
        json!("SURROGATE"),
    );
    let text = String::from_utf8(body(&document))
        .unwrap()
        .replace("SURROGATE", "a\\ud800b");
    let answer = app.deliver("workflow_job", text).await;
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (200, "Job 1 stored.")
    );
    let (name, stored): (String, String) = app
        .db
        .query_one(
            "SELECT job_name, (SELECT payload->'workflow_job'->>'name' FROM installation_events) FROM jobs",
            &[],
        )
        .await
        .map(|row| (row.get(0), row.get(1)))
        .unwrap();
    assert_eq!(
        (name.as_str(), stored.as_str()),
        ("a\u{fffd}b", "a\u{fffd}b")
    );
}

#[tokio::test]
async fn json_nested_far_too_deep_is_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let deep = format!(
        r#"{{"zen":"x","hook_id":1,"deep":{}1{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    for event in ["ping", "push"] {
        let answer = app.deliver(event, deep.clone()).await;
        assert_eq!(
            (answer.status, answer.text.as_str()),
            (400, "Invalid JSON payload: nested deeper than 512 levels"),
            "{event}"
        );
    }
    assert_eq!(app.rows_written().await, 0);
}

#[tokio::test]
async fn a_second_signature_header_is_refused() {
    let app = spawn_app().await;
    let ping = br#"{"zen":"x","hook_id":1}"#.to_vec();
    let good = sign(&ping, SECRET);
    for extra in [good.clone(), "sha256=0000".to_owned()] {
        let answer = app
            .http
            .post(format!("{}/", app.address))
            .header("X-GitHub-Event", "ping")
            .header("X-GitHub-Hook-Installation-Target-Id", "1")
            .header("X-Hub-Signature-256", &good)
            .header("X-Hub-Signature-256", &extra)
            .body(ping.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400);
        assert_eq!(
            answer.text().await.unwrap(),
            "More than one X-Hub-Signature-256 header"
        );
    }
    assert_eq!(app.rows_written().await, 0);
    // One good header is accepted.
    assert_eq!(app.send(Post::new("ping", ping)).await.status, 200);
}
