//! production forwards flagged entities' job deliveries to
//! staging (a wiremock fake) unchanged, relays its answer, and records it.

use std::time::Duration;

use ghfe::config::{Environment, StagingEntitySettings};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::app::{spawn_app_with, Post, TestApp};
use crate::support::fixtures;

/// `repository.owner.id` of the fixtures' jobs.
const FLAGGED: i64 = 38_302_899;

async fn production_against(staging: &str, environment: Environment, flagged: i64) -> TestApp {
    let staging = staging.to_owned();
    spawn_app_with(move |s| {
        s.environment = environment;
        s.database.schema = Some("staging".into());
        s.staging.url = Some(staging);
        s.staging.timeout_ms = 500;
        s.staging.entities = vec![StagingEntitySettings {
            owner_id: flagged,
            repos: vec![],
        }];
    })
    .await
}

fn queued() -> Post {
    Post::new("workflow_job", fixtures::bytes("workflow_job.queued.json"))
        .delivery(Some("proxied-guid"))
}

#[tokio::test]
async fn a_flagged_entitys_delivery_reaches_staging_unchanged_and_its_answer_is_relayed() {
    let staging = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_string("staged it"))
        .mount(&staging)
        .await;
    let app = production_against(&staging.uri(), Environment::Production, FLAGGED).await;
    let post = queued();
    let answer = app.send(post.clone()).await;
    assert_eq!((answer.status, answer.text.as_str()), (201, "staged it"));

    let received = staging.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(
        request.body, post.body,
        "the bytes are forwarded as received"
    );
    for (name, value) in [
        ("x-github-event", post.event.clone().unwrap()),
        ("x-hub-signature-256", post.signature.clone().unwrap()),
        ("x-github-delivery", post.delivery.clone().unwrap()),
        (
            "x-github-hook-installation-target-id",
            post.target.clone().unwrap(),
        ),
    ] {
        assert_eq!(request.headers[name].to_str().unwrap(), value, "{name}");
    }
    let row = app
        .db
        .query_one(
            "SELECT outcome, delivery_id, response FROM installation_events",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "proxied_to_staging");
    assert_eq!(
        row.get::<_, Option<String>>(1).as_deref(),
        Some("proxied-guid")
    );
    assert_eq!(
        row.get::<_, Option<String>>(2).as_deref(),
        Some("staged it")
    );
    assert_eq!(
        app.scalar("SELECT count(*) FROM jobs").await,
        0,
        "production does not store staging's jobs"
    );
}

#[tokio::test]
async fn a_staging_that_does_not_answer_gives_502_with_a_row_and_the_delivery_stays_retryable() {
    let staging = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&staging)
        .await;
    let app = production_against(&staging.uri(), Environment::Production, FLAGGED).await;
    let answer = app.send(queued()).await;
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (502, "staging proxy failed")
    );
    let row = app
        .db
        .query_one("SELECT outcome, delivery_id FROM installation_events", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "staging_proxy_failed");
    assert_eq!(
        row.get::<_, Option<String>>(1),
        None,
        "a redelivery must be forwarded again"
    );

    let closed = production_against("http://127.0.0.1:1/", Environment::Production, FLAGGED).await;
    assert_eq!(closed.send(queued()).await.status, 502);
}

#[tokio::test]
async fn nothing_is_forwarded_before_the_signature_is_verified() {
    let staging = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&staging)
        .await;
    let app = production_against(&staging.uri(), Environment::Production, FLAGGED).await;
    assert_eq!(app.send(queued().signed_with("wrong")).await.status, 401);
    assert!(staging.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn outside_production_nothing_is_forwarded() {
    let staging = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&staging)
        .await;
    let app = production_against(&staging.uri(), Environment::Staging, FLAGGED).await;
    assert_eq!(app.send(queued()).await.text, "Job 289782451 stored.");
    assert!(staging.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unflagged_entity_is_handled_by_production() {
    let staging = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&staging)
        .await;
    let app = production_against(&staging.uri(), Environment::Production, 1).await;
    assert_eq!(app.send(queued()).await.text, "Job 289782451 stored.");
    assert!(staging.received_requests().await.unwrap().is_empty());
}
