//! bearer-protected views of an entity's deliveries.

use serde_json::Value;

use crate::support::app::{spawn_app, spawn_app_with, TestApp, TRACE_SECRET};
use crate::support::fixtures;

const ORG: i64 = 38_302_899; // repository.owner.id of the workflow_job fixtures
const JOB: i64 = 289_782_451;

async fn traced(app: &TestApp, path: &str) -> (u16, Value) {
    let answer = app.get(path, Some(TRACE_SECRET)).await;
    let body = serde_json::from_str(&answer.text).unwrap_or(Value::String(answer.text));
    (answer.status, body)
}

async fn job_lifecycle(app: &TestApp) {
    app.deliver("workflow_job", fixtures::bytes("workflow_job.queued.json"))
        .await;
    app.deliver(
        "workflow_job",
        fixtures::bytes("workflow_job.in_progress.json"),
    )
    .await;
}

const GUARDED: [&str; 7] = [
    "/trace/entity/1",
    "/trace/installation/1",
    "/trace/job/1",
    "/trace/payload/1",
    "/api/webhooks/events",
    "/api/webhooks/statistics",
    "/api/webhooks/stream",
];

#[tokio::test]
async fn without_a_trace_secret_the_routes_do_not_exist() {
    let app = spawn_app_with(|s| s.trace.secret = None).await;
    for path in GUARDED {
        assert_eq!(
            app.get(path, Some(TRACE_SECRET)).await.status,
            404,
            "{path}"
        );
    }
}

#[tokio::test]
async fn an_empty_trace_secret_counts_as_none() {
    let app = spawn_app_with(|s| s.trace.secret = Some(String::new().into())).await;
    for path in GUARDED {
        assert_eq!(app.get(path, Some("")).await.status, 404, "{path}");
    }
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_unauthorized() {
    let app = spawn_app().await;
    for path in GUARDED {
        for token in [None, Some("wrong"), Some("")] {
            let answer = app.get(path, token).await;
            assert_eq!(
                (answer.status, answer.text.as_str()),
                (401, "Unauthorized"),
                "{path} {token:?}"
            );
        }
    }
    let basic = app
        .http
        .get(format!("{}/trace/entity/1", app.address))
        .basic_auth("x", Some(TRACE_SECRET));
    assert_eq!(basic.send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn malformed_ids_are_refused() {
    let app = spawn_app().await;
    for (route, name) in [
        ("entity", "entity_id"),
        ("installation", "installation_id"),
        ("job", "job_id"),
        ("payload", "event_id"),
    ] {
        for bad in ["abc", "0", "-3", "1.5", "99999999999999999999"] {
            let answer = app
                .get(&format!("/trace/{route}/{bad}"), Some(TRACE_SECRET))
                .await;
            assert_eq!(
                (answer.status, answer.text),
                (400, format!("Invalid {name}")),
                "{route}/{bad}"
            );
        }
    }
}

#[tokio::test]
async fn an_entity_trace_lists_its_deliveries_oldest_first_without_payloads() {
    let app = spawn_app().await;
    job_lifecycle(&app).await;
    let (status, body) = traced(&app, &format!("/trace/entity/{ORG}")).await;
    assert_eq!(status, 200);
    let events = body["events"].as_array().unwrap();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["workflow_job.queued", "workflow_job.in_progress"]);
    assert_eq!(events[0]["outcome"], "job_stored");
    assert_eq!(events[0]["job_id"], JOB);
    assert_eq!(events[0]["entity_id"], ORG);
    assert_eq!(events[0]["source"], "webhook");
    assert!(events.iter().all(|event| event.get("payload").is_none()));
}

#[tokio::test]
async fn an_entity_without_deliveries_has_an_empty_list() {
    let app = spawn_app().await;
    let answer = app.get("/trace/entity/12345", Some(TRACE_SECRET)).await;
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (200, r#"{"events":[]}"#)
    );
}

#[tokio::test]
async fn an_installation_resolves_to_its_entity_through_its_events() {
    let app = spawn_app().await;
    app.deliver("installation", fixtures::bytes("installation.created.json"))
        .await;
    let installation = fixtures::json("installation.created.json")["installation"].clone();
    let (status, body) = traced(&app, &format!("/trace/installation/{}", installation["id"])).await;
    assert_eq!(status, 200);
    assert_eq!(body["events"][0]["event"], "installation.created");
    assert_eq!(body["events"][0]["entity_id"], installation["target_id"]);
}

#[tokio::test]
async fn an_installation_known_only_from_jobs_resolves_through_them() {
    let app = spawn_app().await;
    app.db
        .batch_execute(
            "INSERT INTO jobs (job_id, provider, entity_id, entity_name, entity_type, repo_full_name, \
             installation_id, job_labels, k8s_pool, k8s_image) \
             VALUES (1, 'github', 777, 'acme', 'Organization', 'acme/x', 555, '[]', 'p', 'i'); \
             INSERT INTO installation_events (source, event, outcome, entity_id) \
             VALUES ('scheduler', 'job.scheduled', 'ok', 777)",
        )
        .await
        .unwrap();
    let (status, body) = traced(&app, "/trace/installation/555").await;
    assert_eq!(status, 200);
    assert_eq!(body["events"][0]["source"], "scheduler");
}

#[tokio::test]
async fn unknown_installations_and_jobs_are_not_found() {
    let app = spawn_app().await;
    assert_eq!(
        traced(&app, "/trace/installation/42").await,
        (404, Value::from("Entity not found"))
    );
    assert_eq!(
        traced(&app, "/trace/job/42").await,
        (404, Value::from("Job not found"))
    );
    assert_eq!(
        traced(&app, "/trace/payload/42").await,
        (404, Value::from("Payload not found"))
    );
}

#[tokio::test]
async fn a_job_resolves_to_its_entity_and_a_payload_is_served_alone() {
    let app = spawn_app().await;
    job_lifecycle(&app).await;
    let (status, body) = traced(&app, &format!("/trace/job/{JOB}")).await;
    assert_eq!(status, 200);
    let first = &body["events"][0];
    let (status, payload) = traced(&app, &format!("/trace/payload/{}", first["id"])).await;
    assert_eq!(status, 200);
    assert_eq!(payload["payload"]["workflow_job"]["id"], JOB);
    assert_eq!(payload["payload"]["action"], "queued");
}
