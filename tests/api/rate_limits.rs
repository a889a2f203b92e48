//! `/setup/*`, `/trace/*`, `/api/*` and `/deliveries` are limited per
//! client address; the webhook route and the open pages never are.

use crate::support::app::{spawn_app_with, TRACE_SECRET};
use crate::support::fixtures;

#[tokio::test]
async fn past_the_limit_a_client_gets_429_with_retry_after() {
    let app = spawn_app_with(|s| {
        s.rate_limit.requests = 3;
        s.rate_limit.window_seconds = 60;
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.get("/setup/org", None).await.status,
            400,
            "within the limit"
        );
    }
    let refused = app.get("/setup/org", None).await;
    assert_eq!(
        (refused.status, refused.text.as_str()),
        (429, "Too Many Requests")
    );
    let retry: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(
        app.get("/trace/entity/1", Some(TRACE_SECRET)).await.status,
        429,
        "the same client on /trace"
    );
    assert_eq!(
        app.get("/api/webhooks/events", Some(TRACE_SECRET))
            .await
            .status,
        429,
        "the same client on /api"
    );
    for path in ["/deliveries", "/deliveries/1"] {
        let answer = app.get(path, Some(TRACE_SECRET)).await;
        assert_eq!(answer.status, 429, "the same client on {path}");
    }
}

#[tokio::test]
async fn the_webhook_and_the_pages_are_not_limited() {
    let app = spawn_app_with(|s| s.rate_limit.requests = 2).await;
    for _ in 0..6 {
        assert_eq!(
            app.deliver("ping", fixtures::bytes("ping.json"))
                .await
                .status,
            200
        );
        assert_eq!(app.get("/usage", None).await.status, 200);
    }
}
