//! `/deliveries`: the delivery log as a page behind the trace token,
//! filtered, paged by id, linking payloads and jobs, escaping what came
//! from payloads, and counting what left no row.

use serde_json::json;

use crate::support::app::{spawn_app, Post, TestApp, TRACE_SECRET};
use crate::support::fixtures::{self, body, job, set};

/// `/deliveries<rest>` with the trace token; asserts 200.
async fn page(app: &TestApp, query: &str) -> String {
    let answer = app
        .get(&format!("/deliveries{query}"), Some(TRACE_SECRET))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.text
}

#[tokio::test]
async fn the_log_is_a_page_with_filters_links_and_older_pages() {
    let app = spawn_app().await;
    for id in [91, 92, 93] {
        app.deliver(
            "workflow_job",
            body(&job("workflow_job.queued.json", id, &["ubuntu-latest"])),
        )
        .await;
    }
    app.deliver("ping", fixtures::bytes("ping.json")).await;
    let all = page(&app, "").await;
    assert!(all.contains("4 recorded deliveries match"), "{all}");
    assert!(all.contains(r#"#job">93</a>"#), "{all}");
    assert!(all.contains("Job 93 stored."), "{all}");
    assert!(all.contains(r#"#payload">"#), "{all}");

    let jobs = page(&app, "?event=workflow_job&limit=2").await;
    assert!(jobs.contains("3 recorded deliveries match"), "{jobs}");
    assert!(jobs.contains(r#"#job">93<"#) && jobs.contains(r#"#job">92<"#));
    assert!(!jobs.contains(r#"#job">91<"#));
    let older = jobs
        .split(r#"<a href=""#)
        .find_map(|part| part.split_once(r#"" rel="next">Older"#))
        .map(|(href, _)| href.replace("&amp;", "&"))
        .expect("an Older link");
    assert!(
        older.contains("event=workflow_job") && older.contains("before="),
        "{older}"
    );
    let next = page(&app, older.trim_start_matches("/deliveries")).await;
    assert!(
        next.contains(r#"#job">91<"#) && !next.contains(r#"#job">92<"#),
        "{next}"
    );

    let none = page(&app, "?outcome=job_marked_running").await;
    assert!(none.contains("No deliveries match."), "{none}");
}

#[tokio::test]
async fn it_needs_the_trace_token_names_bad_parameters_and_escapes() {
    let app = spawn_app().await;
    assert_eq!(app.get("/deliveries", None).await.status, 401);
    assert_eq!(app.get("/deliveries", Some("wrong")).await.status, 401);
    let bad = app.get("/deliveries?before=x", Some(TRACE_SECRET)).await;
    assert_eq!((bad.status, bad.text.as_str()), (400, "Invalid before"));
    let hostile = set(
        job("workflow_job.queued.json", 94, &["ubuntu-latest"]),
        "repository.full_name",
        json!("<b>evil</b>/repo"),
    );
    app.deliver("workflow_job", body(&hostile)).await;
    let shown = page(&app, "").await;
    assert!(!shown.contains("<b>evil</b>"), "{shown}");
    assert!(shown.contains("&lt;b&gt;evil&lt;"), "{shown}");
}

#[tokio::test]
async fn one_delivery_shows_its_answer_its_job_now_and_its_payload() {
    let app = spawn_app().await;
    let queued = set(
        job("workflow_job.queued.json", 95, &["ubuntu-latest"]),
        "workflow_job.name",
        json!("<script>alert(1)</script>"),
    );
    app.deliver("workflow_job", body(&queued)).await;
    let id = app
        .scalar("SELECT id FROM installation_events WHERE job_id = 95")
        .await;
    let running = job("workflow_job.in_progress.json", 95, &["ubuntu-latest"]);
    app.deliver("workflow_job", body(&running)).await;

    let shown = page(&app, &format!("/{id}")).await;
    for expected in [
        format!("<h1>Delivery {id}</h1>"),
        "<code>workflow_job.queued</code>".to_owned(),
        "Job 95 stored.".to_owned(),
        "<h2 id=\"job\">Job 95</h2>".to_owned(),
        // The job as it stands now, not as this delivery left it.
        "<span class=\"badge running\">running</span>".to_owned(),
        "The job on GitHub".to_owned(),
        "href=\"/deliveries?repository=Codertocat%2FHello-World\"".to_owned(),
        "<pre class=\"payload\">{".to_owned(),
        "&quot;workflow_job&quot;: {".to_owned(),
    ] {
        assert!(shown.contains(&expected), "lacks {expected}: {shown}");
    }
    assert!(!shown.contains("<script>alert(1)"), "{shown}");
    assert!(shown.contains("&lt;script&gt;alert(1)"), "{shown}");

    app.deliver("ping", fixtures::bytes("ping.json")).await;
    let ping = app
        .scalar("SELECT id FROM installation_events WHERE event = 'ping'")
        .await;
    let shown = page(&app, &format!("/{ping}")).await;
    assert!(shown.contains("<code>ping</code>") && !shown.contains("id=\"job\""));

    for (path, status, text) in [
        ("/deliveries/999999", 404, "Delivery not found"),
        ("/deliveries/0", 400, "Invalid event_id"),
        ("/deliveries/-3", 400, "Invalid event_id"),
        ("/deliveries/abc", 400, "Invalid event_id"),
    ] {
        let answer = app.get(path, Some(TRACE_SECRET)).await;
        assert_eq!(
            (answer.status, answer.text.as_str()),
            (status, text),
            "{path}"
        );
    }
    assert_eq!(
        app.get(&format!("/deliveries/{id}"), None).await.status,
        401
    );
}

/// The `WWW-Authenticate` challenges of an answer.
fn challenges(headers: &reqwest::header::HeaderMap) -> Vec<&str> {
    headers
        .get_all("www-authenticate")
        .iter()
        .map(|value| value.to_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_browser_prompts_for_the_token_and_sends_it_as_basic_credentials() {
    let app = spawn_app().await;
    let refused = app.get("/deliveries", None).await;
    assert_eq!(
        (refused.status, refused.text.as_str()),
        (401, "Unauthorized")
    );
    assert_eq!(
        challenges(&refused.headers),
        [
            "Bearer realm=\"ghfe\"",
            "Basic realm=\"ghfe\", charset=\"UTF-8\""
        ]
    );
    let basic = |user: &str, password: &str| {
        app.http
            .get(format!("{}/deliveries", app.address))
            .basic_auth(user, Some(password))
            .send()
    };
    assert_eq!(basic("on-call", TRACE_SECRET).await.unwrap().status(), 200);
    assert_eq!(basic("", TRACE_SECRET).await.unwrap().status(), 200);
    assert_eq!(basic(TRACE_SECRET, "wrong").await.unwrap().status(), 401);
    let garbled = app
        .http
        .get(format!("{}/deliveries", app.address))
        .header("Authorization", "Basic !!!")
        .send()
        .await
        .unwrap();
    assert_eq!(garbled.status(), 401);
    // The JSON routes take the bearer header only, and ask for nothing else.
    let api = app.get("/api/webhooks/events", None).await;
    assert_eq!(challenges(&api.headers), ["Bearer realm=\"ghfe\""]);
}

#[tokio::test]
async fn duplicates_and_rejections_are_counted_though_not_logged() {
    let app = spawn_app().await;
    let queued = || {
        Post::new("workflow_job", fixtures::bytes("workflow_job.queued.json"))
            .delivery(Some("dup-1"))
    };
    app.send(queued()).await;
    app.send(queued()).await;
    app.send(Post::new("ping", fixtures::bytes("ping.json")).signature(Some("sha256=00")))
        .await;
    let shown = page(&app, "").await;
    assert!(
        shown.contains("1 duplicates (answered with their first outcome) and 1 rejected"),
        "{shown}"
    );
    assert!(shown.contains("bad_signature: 1"), "{shown}");
}
