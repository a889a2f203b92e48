//! the checks before anything is read, in order; none writes.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::app::{spawn_app, spawn_app_with, Post, SECRET};
use crate::support::fixtures;

fn ping() -> Post {
    Post::new("ping", fixtures::bytes("ping.json"))
}

#[tokio::test]
async fn without_a_secret_the_endpoint_is_closed() {
    let app = spawn_app_with(|s| s.webhook.secrets.clear()).await;
    let answer = app.send(ping()).await;
    assert_eq!(answer.status, 404);
    assert_eq!(app.rows_written().await, 0);
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_before_reading() {
    let app = spawn_app_with(|s| s.webhook.max_body_bytes = 1000).await;
    let answer = app.deliver("ping", vec![b' '; 1001]).await;
    assert_eq!(answer.status, 413);
    let at_limit = app
        .deliver("ping", format!("{{}}{}", " ".repeat(998)))
        .await;
    assert_eq!(at_limit.status, 200, "exactly the limit is accepted");
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_refused_while_streaming() {
    let app = spawn_app_with(|s| s.webhook.max_body_bytes = 1000).await;
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let chunk = "x".repeat(600);
    let request = format!(
        "POST / HTTP/1.1\r\nHost: ghfe\r\nX-GitHub-Event: ping\r\nTransfer-Encoding: chunked\r\n\r\n\
         258\r\n{chunk}\r\n258\r\n{chunk}\r\n0\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = vec![0; 64];
    let read = stream.read(&mut response).await.unwrap();
    assert!(String::from_utf8_lossy(&response[..read]).starts_with("HTTP/1.1 413"));
    assert_eq!(app.rows_written().await, 0);
}

#[tokio::test]
async fn a_missing_or_empty_event_header_is_refused() {
    let app = spawn_app().await;
    for event in [None, Some("")] {
        let answer = app.send(ping().event(event)).await;
        assert_eq!(
            (answer.status, answer.text.as_str()),
            (400, "Missing X-GitHub-Event header")
        );
    }
    assert_eq!(app.rows_written().await, 0);
}

#[tokio::test]
async fn a_missing_signature_is_refused() {
    let app = spawn_app().await;
    let answer = app.send(ping().signature(None)).await;
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (401, "X-Hub-Signature-256 header is missing!")
    );
    assert_eq!(app.rows_written().await, 0);
}

#[tokio::test]
async fn a_wrong_signature_is_refused_without_echoing_any_signature() {
    let app = spawn_app().await;
    let post = ping().signed_with("another-secret");
    let expected = ghfe::adapters::http::signature::sign(&post.body, SECRET);
    let answer = app.send(post).await;
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (401, "Request signatures didn't match!")
    );
    assert!(!answer.text.contains(&expected) && !answer.text.contains("sha256="));
    assert_eq!(app.rows_written().await, 0);
}

#[tokio::test]
async fn the_signature_covers_the_exact_bytes_not_the_json() {
    let app = spawn_app().await;
    let raw = fixtures::bytes("ping.json");
    let reserialised = fixtures::body(&fixtures::json("ping.json"));
    let mut post = Post::new("ping", raw);
    post.body = reserialised;
    let answer = app.send(post).await;
    assert_eq!(answer.status, 401);
}

#[tokio::test]
async fn any_configured_secret_is_accepted_during_rotation() {
    let app = spawn_app_with(|s| {
        s.webhook.secrets = vec!["old".to_owned().into(), "new".to_owned().into()];
    })
    .await;
    assert_eq!(app.send(ping().signed_with("old")).await.status, 200);
    assert_eq!(app.send(ping().signed_with("new")).await.status, 200);
    assert_eq!(app.send(ping().signed_with(SECRET)).await.status, 401);
}

#[tokio::test]
async fn the_target_id_header_must_be_present_and_an_integer() {
    let app = spawn_app().await;
    let missing = app.send(ping().target(None)).await;
    assert_eq!(
        (missing.status, missing.text.as_str()),
        (400, "Missing X-GitHub-Hook-Installation-Target-Id header")
    );
    for bad in ["abc", "1.5", ""] {
        let answer = app.send(ping().target(Some(bad))).await;
        assert_eq!(
            (answer.status, answer.text.as_str()),
            (400, "Invalid X-GitHub-Hook-Installation-Target-Id header"),
            "{bad:?}"
        );
    }
    assert_eq!(app.rows_written().await, 0);
}

#[tokio::test]
async fn configured_app_ids_refuse_other_apps() {
    let app = spawn_app_with(|s| {
        s.github.apps.org.id = Some(101);
        s.github.apps.personal.id = Some(202);
    })
    .await;
    let other = app.send(ping().target(Some("303"))).await;
    assert_eq!((other.status, other.text.as_str()), (400, "Unknown app id"));
    assert_eq!(app.send(ping().target(Some("202"))).await.status, 200);
    assert_eq!(
        app.scalar("SELECT app_id FROM installation_events").await,
        202
    );
}

#[tokio::test]
async fn the_body_must_be_a_json_object() {
    let app = spawn_app().await;
    for body in ["not json", "[1, 2]", "\"text\"", ""] {
        let answer = app.deliver("ping", body).await;
        assert_eq!(
            (answer.status, answer.text.as_str()),
            (400, "Invalid JSON payload"),
            "{body:?}"
        );
    }
    assert_eq!(app.rows_written().await, 0);
}

#[tokio::test]
async fn checks_run_in_the_spec_order() {
    let app = spawn_app().await;
    // No event header and a bad signature: the header check comes first.
    let answer = app.send(ping().event(None).signed_with("wrong")).await;
    assert_eq!(answer.status, 400);
    // Bad signature and no target id: the signature comes first.
    let answer = app.send(ping().signed_with("wrong").target(None)).await;
    assert_eq!(answer.status, 401);
    // Bad target id and invalid JSON: the header comes first.
    let answer = app.send(Post::new("ping", "nope").target(Some("x"))).await;
    assert_eq!(
        answer.text,
        "Invalid X-GitHub-Hook-Installation-Target-Id header"
    );
}

#[tokio::test]
async fn answers_are_plain_utf8_text() {
    let app = spawn_app().await;
    let answer = app.send(ping()).await;
    assert_eq!(answer.headers["content-type"], "text/plain; charset=utf-8");
    let refused = app.send(ping().signature(None)).await;
    assert_eq!(refused.headers["content-type"], "text/plain; charset=utf-8");
}

#[tokio::test]
async fn only_post_is_accepted_on_the_webhook_route() {
    let app = spawn_app().await;
    assert_eq!(app.get("/", None).await.status, 405);
}
