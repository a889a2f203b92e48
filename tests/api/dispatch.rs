//! every event's answer and event row.

use serde_json::json;

use crate::support::app::spawn_app;
use crate::support::fixtures;

#[tokio::test]
async fn ping_answers_pong_and_keeps_the_full_payload() {
    let app = spawn_app().await;
    let answer = app.deliver("ping", fixtures::bytes("ping.json")).await;
    assert_eq!((answer.status, answer.text.as_str()), (200, "pong"));
    assert_eq!(app.events().await, [("ping".to_owned(), "ok".to_owned())]);
    let stored: serde_json::Value = app
        .db
        .query_one("SELECT payload FROM installation_events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, fixtures::json("ping.json"));
}

#[tokio::test]
async fn installation_events_are_logged_with_their_entity() {
    let app = spawn_app().await;
    for (fixture, action) in [
        ("installation.created.json", "created"),
        ("installation.deleted.json", "deleted"),
        ("installation.suspend.json", "suspend"),
        ("installation.unsuspend.json", "unsuspend"),
        (
            "installation.new_permissions_accepted.json",
            "new_permissions_accepted",
        ),
    ] {
        let answer = app.deliver("installation", fixtures::bytes(fixture)).await;
        assert_eq!(
            (answer.status, answer.text),
            (200, format!("installation.{action} logged")),
            "{fixture}"
        );
        let document = fixtures::json(fixture);
        let row = app
            .db
            .query_one(
                "SELECT installation_id, entity_type, entity_id, entity_name, outcome FROM installation_events \
                 WHERE event = $1",
                &[&format!("installation.{action}")],
            )
            .await
            .unwrap();
        let installation = &document["installation"];
        let entity_id = installation["target_id"]
            .as_i64()
            .or(installation["account"]["id"].as_i64());
        assert_eq!(row.get::<_, Option<i64>>(0), installation["id"].as_i64());
        assert_eq!(
            row.get::<_, Option<String>>(1).as_deref(),
            installation["target_type"].as_str()
        );
        assert_eq!(row.get::<_, Option<i64>>(2), entity_id);
        assert_eq!(
            row.get::<_, Option<String>>(3).as_deref(),
            installation["account"]["login"].as_str()
        );
        assert_eq!(row.get::<_, String>(4), "ok");
    }
    assert_eq!(
        app.scalar("SELECT count(*) FROM jobs").await,
        0,
        "no side effect besides the row"
    );
}

#[tokio::test]
async fn installation_repository_changes_are_logged() {
    let app = spawn_app().await;
    for action in ["added", "removed"] {
        let fixture = format!("installation_repositories.{action}.json");
        let answer = app
            .deliver("installation_repositories", fixtures::bytes(&fixture))
            .await;
        assert_eq!(
            answer.text,
            format!("installation_repositories.{action} logged")
        );
    }
    assert_eq!(
        app.scalar("SELECT count(*) FROM installation_events WHERE outcome = 'ok'")
            .await,
        2
    );
}

#[tokio::test]
async fn an_installation_event_without_its_account_is_refused() {
    let app = spawn_app().await;
    let document = fixtures::remove(
        fixtures::json("installation.created.json"),
        "installation.account",
    );
    let answer = app.deliver("installation", fixtures::body(&document)).await;
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (400, "Missing field: installation.account")
    );
    assert_eq!(app.rows_written().await, 0);
}

#[tokio::test]
async fn an_installation_target_rename_records_the_new_login() {
    // octokit/webhooks has no example of this event; this one follows
    // GitHub's schema for installation_target.renamed.
    let app = spawn_app().await;
    let document = json!({
        "action": "renamed",
        "account": {"id": 4242, "login": "new-name", "type": "Organization"},
        "changes": {"login": {"from": "old-name"}},
        "installation": {"id": 99, "node_id": "x"},
        "target_type": "Organization"
    });
    let answer = app
        .deliver("installation_target", fixtures::body(&document))
        .await;
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (200, "installation_target.renamed logged")
    );
    let row = app
        .db
        .query_one(
            "SELECT entity_type, entity_id, entity_name FROM installation_events",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, Option<String>>(0).as_deref(),
        Some("Organization")
    );
    assert_eq!(row.get::<_, Option<i64>>(1), Some(4242));
    assert_eq!(row.get::<_, Option<String>>(2).as_deref(), Some("new-name"));
    let missing = app
        .deliver(
            "installation_target",
            fixtures::body(&fixtures::remove(document, "account")),
        )
        .await;
    assert_eq!(
        (missing.status, missing.text.as_str()),
        (400, "Missing field: account")
    );
}

#[tokio::test]
async fn workflow_runs_are_recorded_and_never_move_back() {
    let app = spawn_app().await;
    let completed = fixtures::json("workflow_run.completed.json");
    let run_id = completed["workflow_run"]["id"].as_i64().unwrap();
    let answer = app
        .deliver(
            "workflow_run",
            fixtures::bytes("workflow_run.completed.json"),
        )
        .await;
    assert_eq!(
        (answer.status, answer.text),
        (200, format!("Run {run_id} recorded."))
    );
    let late = fixtures::set(
        fixtures::json("workflow_run.requested.json"),
        "workflow_run.id",
        run_id.into(),
    );
    assert_eq!(
        app.deliver("workflow_run", fixtures::body(&late))
            .await
            .status,
        200
    );
    let row = app
        .db
        .query_one(
            "SELECT status, conclusion FROM workflow_runs WHERE run_id = $1",
            &[&run_id],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, Option<String>>(0).as_deref(),
        Some("completed")
    );
    assert_eq!(
        row.get::<_, Option<String>>(1).as_deref(),
        completed["workflow_run"]["conclusion"].as_str()
    );
    assert_eq!(
        app.events().await,
        [
            (
                "workflow_run.completed".to_owned(),
                "run_recorded".to_owned()
            ),
            (
                "workflow_run.requested".to_owned(),
                "run_recorded".to_owned()
            )
        ]
    );
}

#[tokio::test]
async fn a_workflow_run_without_its_repository_is_refused() {
    let app = spawn_app().await;
    let document = fixtures::remove(fixtures::json("workflow_run.requested.json"), "repository");
    let answer = app.deliver("workflow_run", fixtures::body(&document)).await;
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (400, "Missing field: repository")
    );
    assert_eq!(app.scalar("SELECT count(*) FROM workflow_runs").await, 0);
}

#[tokio::test]
async fn other_events_are_recorded_and_ignored() {
    let app = spawn_app().await;
    for (event, fixture) in [
        ("push", "push.json"),
        ("pull_request", "pull_request.opened.json"),
    ] {
        let answer = app.deliver(event, fixtures::bytes(fixture)).await;
        assert_eq!(
            (answer.status, answer.text),
            (200, format!("Ignoring {event} event"))
        );
    }
    assert_eq!(
        app.events().await,
        [
            ("push".to_owned(), "ignored_event".to_owned()),
            ("pull_request".to_owned(), "ignored_event".to_owned())
        ]
    );
}
