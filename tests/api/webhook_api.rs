//! the delivery log filtered and paged, counted
//! over a window, and followed live as server-sent events.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::app::{spawn_app, spawn_app_with, TestApp, TRACE_SECRET};
use crate::support::fixtures;

const ORG: i64 = 38_302_899; // repository.owner.id of the workflow_job fixtures

/// A ping, three queued jobs (the second in another repository, the third
/// unrouted), and a redelivery of the first job.
async fn some_deliveries(app: &TestApp) {
    app.deliver("ping", fixtures::bytes("ping.json")).await;
    let first = fixtures::job("workflow_job.queued.json", 1, &["ubuntu-latest"]);
    let other_repo = fixtures::set(
        fixtures::job("workflow_job.queued.json", 2, &["ubuntu-latest"]),
        "repository.full_name",
        "Codertocat/Other".into(),
    );
    let unrouted = fixtures::job("workflow_job.queued.json", 3, &["windows"]);
    let post = crate::support::app::Post::new("workflow_job", fixtures::body(&first));
    assert_eq!(app.send(post.clone()).await.status, 200);
    for job in [other_repo, unrouted] {
        app.deliver("workflow_job", fixtures::body(&job)).await;
    }
    assert!(app.send(post).await.text.starts_with("Duplicate delivery"));
}

fn column(answer: &Value, name: &str) -> Value {
    answer["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event[name].clone())
        .collect()
}

#[tokio::test]
async fn events_are_listed_newest_first_with_their_total() {
    let app = spawn_app().await;
    some_deliveries(&app).await;
    let all = app
        .get_json("/api/webhooks/events", Some(TRACE_SECRET))
        .await;
    assert_eq!(
        (&all["total"], &all["limit"], &all["offset"]),
        (&4.into(), &100.into(), &0.into())
    );
    assert_eq!(
        column(&all, "outcome"),
        json!(["ignored_no_label", "job_stored", "job_stored", "ok"])
    );
    assert_eq!(column(&all, "job_id"), json!([3, 2, 1, null]));
    assert!(all["events"][0].get("payload").is_none(), "never payloads");

    let page = app
        .get_json("/api/webhooks/events?limit=2&offset=1", Some(TRACE_SECRET))
        .await;
    assert_eq!(page["total"], 4);
    assert_eq!(column(&page, "job_id"), json!([2, 1]));
    let past = app
        .get_json("/api/webhooks/events?offset=10", Some(TRACE_SECRET))
        .await;
    assert_eq!(
        (&past["events"], &past["total"]),
        (&Value::Array(vec![]), &4.into())
    );
}

#[tokio::test]
async fn events_page_by_id_with_before_and_filter_by_account() {
    let app = spawn_app().await;
    some_deliveries(&app).await;
    let first = app
        .get_json("/api/webhooks/events?limit=2", Some(TRACE_SECRET))
        .await;
    assert_eq!(column(&first, "job_id"), json!([3, 2]));
    let before = first["next_before"].as_i64().expect("a next page");
    let second_path = format!("/api/webhooks/events?limit=2&before={before}");
    let second = app.get_json(&second_path, Some(TRACE_SECRET)).await;
    assert_eq!(column(&second, "job_id"), json!([1, null]));
    let last = second["next_before"].as_i64().unwrap();
    let end = app
        .get_json(
            &format!("/api/webhooks/events?limit=2&before={last}"),
            Some(TRACE_SECRET),
        )
        .await;
    assert_eq!(
        (&end["events"], &end["next_before"]),
        (&json!([]), &Value::Null)
    );
    let account = app
        .get_json(
            "/api/webhooks/events?account=Octocoders",
            Some(TRACE_SECRET),
        )
        .await;
    assert_eq!(column(&account, "job_id"), json!([3, 2, 1, null]));
    assert_eq!(
        app.get_json("/api/webhooks/events?account=nobody", Some(TRACE_SECRET))
            .await["total"],
        0
    );
}

#[tokio::test]
async fn events_are_filtered_by_repository_event_outcome_and_entity() {
    let app = spawn_app().await;
    some_deliveries(&app).await;
    for (query, jobs) in [
        ("event=workflow_job", vec![3, 2, 1]),
        ("event=workflow_job.queued&outcome=job_stored", vec![2, 1]),
        ("event=workflow", vec![]),
        ("repository=Codertocat/Other", vec![2]),
        (
            "repository=Codertocat/Hello-World&outcome=ignored_no_label",
            vec![3],
        ),
        (
            &format!("entity_id={ORG}&event=workflow_job"),
            vec![3, 2, 1],
        ),
        ("entity_id=1", vec![]),
    ] {
        let answer = app
            .get_json(&format!("/api/webhooks/events?{query}"), Some(TRACE_SECRET))
            .await;
        let listed: Vec<i64> = column(&answer, "job_id")
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_i64)
            .collect();
        assert_eq!(listed, jobs, "{query}");
        assert_eq!(answer["total"], jobs.len(), "{query}");
    }
    let pings = app
        .get_json("/api/webhooks/events?event=ping", Some(TRACE_SECRET))
        .await;
    assert_eq!(column(&pings, "event"), json!(["ping"]));
}

#[tokio::test]
async fn a_limit_above_a_thousand_is_lowered_and_bad_parameters_are_named() {
    let app = spawn_app().await;
    let big = app
        .get_json("/api/webhooks/events?limit=5000", Some(TRACE_SECRET))
        .await;
    assert_eq!(
        (&big["limit"], &big["events"]),
        (&1000.into(), &Value::Array(vec![]))
    );
    for (query, text) in [
        ("limit=0", "Invalid limit"),
        ("limit=abc", "Invalid limit"),
        ("offset=-1", "Invalid offset"),
        ("entity_id=0", "Invalid entity_id"),
        ("entity_id=12x", "Invalid entity_id"),
        ("limit=%ZZ", "Invalid limit"),
    ] {
        let answer = app
            .get(&format!("/api/webhooks/events?{query}"), Some(TRACE_SECRET))
            .await;
        assert_eq!(
            (answer.status, answer.text.as_str()),
            (400, text),
            "{query}"
        );
    }
    for query in ["hours=0", "hours=721", "hours=a"] {
        let answer = app
            .get(
                &format!("/api/webhooks/statistics?{query}"),
                Some(TRACE_SECRET),
            )
            .await;
        assert_eq!(
            (answer.status, answer.text.as_str()),
            (400, "Invalid hours"),
            "{query}"
        );
    }
}

/// ghfe counts passed hours when it starts, so a test that dates rows
/// back into them afterwards makes it count again, as for rows that were
/// there first (after [`counted_at_start`]).
const FORGET_COUNTED_HOURS: &str = "DELETE FROM event_count_hours; DELETE FROM event_counts_hourly";

/// Waits until ghfe has counted the passed hours it counts at start.
async fn counted_at_start(app: &TestApp) {
    for _ in 0..200 {
        if app.scalar("SELECT count(*) FROM event_count_hours").await >= 742 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("ghfe did not count the passed hours at start");
}

#[tokio::test]
async fn statistics_count_passed_hours_once_and_the_rest_from_the_log() {
    let app = spawn_app().await;
    counted_at_start(&app).await;
    app.db
        .batch_execute(&format!(
            "INSERT INTO installation_events (source, event, outcome, received_at) \
                 SELECT 'webhook', 'ping', 'ok', now() - make_interval(secs => 150 + 300 * k) \
                 FROM generate_series(0, 1199) AS k; {FORGET_COUNTED_HOURS}"
        ))
        .await
        .unwrap();
    let count = |hours: u32| {
        let app = &app;
        async move {
            app.get_json(
                &format!("/api/webhooks/statistics?hours={hours}"),
                Some(TRACE_SECRET),
            )
            .await["total"]
                .as_u64()
                .unwrap()
        }
    };
    // One every 5 minutes over the last 100 hours.
    let before = [count(1).await, count(24).await, count(100).await];
    assert_eq!(before, [12, 288, 1200]);
    let (store, _task) =
        ghfe::adapters::postgres::PgStore::connect(&crate::support::db::options(&app.db_url))
            .unwrap();
    // Every passed hour of the last 31 days, each once.
    let counted = store.count_passed_hours(1000).await.unwrap();
    assert!((742..=744).contains(&counted), "{counted}");
    assert_eq!(
        store.count_passed_hours(1000).await.unwrap(),
        0,
        "each hour once"
    );
    let hours = app.scalar("SELECT count(*) FROM event_count_hours").await;
    assert_eq!(hours, i64::try_from(counted).unwrap());
    assert!(
        app.scalar("SELECT sum(count)::bigint FROM event_counts_hourly")
            .await
            >= 1188
    );
    let after = [count(1).await, count(24).await, count(100).await];
    assert_eq!(after, before, "counted hours replace the rows they count");
}

#[tokio::test]
async fn statistics_count_the_window_by_event_and_outcome() {
    let app = spawn_app().await;
    counted_at_start(&app).await;
    some_deliveries(&app).await;
    app.db
        .batch_execute(&format!(
            "UPDATE installation_events SET received_at = now() - interval '2 days' WHERE event = 'ping'; \
             {FORGET_COUNTED_HOURS}"
        ))
        .await
        .unwrap();
    let day = app
        .get_json("/api/webhooks/statistics", Some(TRACE_SECRET))
        .await;
    assert_eq!((&day["hours"], &day["total"]), (&24.into(), &3.into()));
    assert_eq!(
        day["by_event"],
        json!([{
            "event": "workflow_job.queued",
            "total": 3,
            "outcomes": {"ignored_no_label": 1, "job_stored": 2}
        }])
    );
    assert_eq!(
        day["by_outcome"],
        json!({"ignored_no_label": 1, "job_stored": 2})
    );
    let three_days = app
        .get_json("/api/webhooks/statistics?hours=72", Some(TRACE_SECRET))
        .await;
    assert_eq!(three_days["total"], 4);
    assert_eq!(three_days["by_outcome"]["ok"], 1);
    let empty = spawn_app().await;
    let none = empty
        .get_json("/api/webhooks/statistics?hours=1", Some(TRACE_SECRET))
        .await;
    assert_eq!(
        (&none["total"], &none["by_event"]),
        (&0.into(), &Value::Array(vec![]))
    );
}

/// Reads the stream until `wanted` events have come, at most a while.
async fn read_events(body: &mut reqwest::Response, wanted: usize) -> Vec<(String, Value)> {
    let mut text = String::new();
    let mut events = Vec::new();
    while events.len() < wanted {
        let chunk = tokio::time::timeout(Duration::from_secs(20), body.chunk())
            .await
            .expect("an event within 20 s")
            .unwrap()
            .expect("the stream goes on");
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|line| line.strip_prefix(name).map(str::to_owned))
            };
            if let (Some(kind), Some(data)) = (field("event: "), field("data: ")) {
                events.push((kind, serde_json::from_str(&data).unwrap()));
            }
        }
    }
    events
}

/// A live stream of `app`'s deliveries.
async fn open_stream(app: &TestApp) -> reqwest::Response {
    app.http
        .get(format!("{}/api/webhooks/stream", app.address))
        .bearer_auth(TRACE_SECRET)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_stream_announces_each_recorded_delivery_live() {
    let app = spawn_app().await;
    app.deliver("ping", fixtures::bytes("ping.json")).await; // before: not replayed
    let response = open_stream(&app).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response;
    some_deliveries(&app).await;
    let events = read_events(&mut body, 4).await;
    let seen: Vec<(&str, &str, Option<i64>)> = events
        .iter()
        .map(|(kind, data)| {
            (
                kind.as_str(),
                data["outcome"].as_str().unwrap(),
                data["job_id"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("delivery", "ok", None),
            ("delivery", "job_stored", Some(1)),
            ("delivery", "job_stored", Some(2)),
            ("delivery", "ignored_no_label", Some(3)),
        ]
    );
    let listed = app
        .get_json(
            "/api/webhooks/events?event=workflow_job",
            Some(TRACE_SECRET),
        )
        .await;
    // The same row as the log lists it, but for the receive time: ghfe's
    // clock on the stream, the database's in the log.
    let (mut announced, mut logged) = (events[3].1.clone(), listed["events"][0].clone());
    for row in [&mut announced, &mut logged] {
        assert!(row["received_at"].is_string());
        row.as_object_mut().unwrap().remove("received_at");
    }
    assert_eq!(announced, logged);
    assert!(events[3].1["id"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn stopping_the_server_ends_the_streams_instead_of_waiting_for_them() {
    let app = spawn_app_with(|s| s.server.shutdown_timeout_ms = 120_000).await;
    let response = open_stream(&app).await;
    let mut body = response;
    let opening = body.chunk().await.unwrap().unwrap();
    assert!(opening.starts_with(b": listening"));
    // Bounded only so a regression fails instead of hanging: without the
    // feed closing, the drain would wait the two minutes configured above.
    tokio::time::timeout(Duration::from_secs(30), app.stop())
        .await
        .expect("the server stops without waiting for the stream");
    let rest = tokio::time::timeout(Duration::from_secs(30), body.chunk())
        .await
        .expect("the stream ends");
    assert!(
        rest.is_err() || rest.as_ref().unwrap().is_none(),
        "{rest:?}"
    );
}
