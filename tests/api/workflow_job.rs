//! the `workflow_job` table, through the socket, checked in SQL.

use serde_json::{json, Value};

use crate::support::app::{spawn_app, spawn_app_with, TestApp, FIXTURE_POOL};
use crate::support::fixtures::{self, body, job, remove, set};

/// The job id of GitHub's example workflow_job payloads.
const JOB: i64 = 289_782_451;
const QUEUED: &str = "workflow_job.queued.json";
const IN_PROGRESS: &str = "workflow_job.in_progress.json";
const COMPLETED: &str = "workflow_job.completed.success.with-organization.json";

async fn deliver(app: &TestApp, document: &Value) -> (u16, String) {
    let answer = app.deliver("workflow_job", body(document)).await;
    (answer.status, answer.text)
}

async fn deliver_fixture(app: &TestApp, name: &str) -> (u16, String) {
    let answer = app.deliver("workflow_job", fixtures::bytes(name)).await;
    (answer.status, answer.text)
}

async fn outcomes(app: &TestApp) -> Vec<String> {
    app.events()
        .await
        .into_iter()
        .map(|(_, outcome)| outcome)
        .collect()
}

#[tokio::test]
async fn queued_stores_a_pending_job_where_its_labels_route_it() {
    let app = spawn_app().await;
    assert_eq!(
        deliver_fixture(&app, QUEUED).await,
        (200, format!("Job {JOB} stored."))
    );
    let row = app
        .db
        .query_one(
            "SELECT status::text, provider::text, entity_type, entity_id, entity_name, repo_full_name, \
             installation_id, job_labels, k8s_pool, k8s_image, k8s_pod, html_url, job_name, run_id, priority, \
             job_started_at IS NULL FROM jobs WHERE job_id = $1",
            &[&JOB],
        )
        .await
        .unwrap();
    let document = fixtures::json(QUEUED);
    assert_eq!(row.get::<_, String>(0), "pending");
    assert_eq!(row.get::<_, String>(1), "github");
    assert_eq!(row.get::<_, String>(2), "Organization");
    assert_eq!(
        row.get::<_, i64>(3),
        document["repository"]["owner"]["id"].as_i64().unwrap()
    );
    assert_eq!(
        row.get::<_, String>(4),
        document["repository"]["owner"]["login"].as_str().unwrap()
    );
    assert_eq!(row.get::<_, String>(5), "Codertocat/Hello-World");
    assert_eq!(row.get::<_, i64>(6), 3_456_996);
    assert_eq!(row.get::<_, Value>(7), json!(["ubuntu-latest"]));
    assert_eq!(row.get::<_, String>(8), FIXTURE_POOL);
    assert_eq!(row.get::<_, String>(9), "riscv-runner:ubuntu-24.04-staging");
    assert_eq!(
        row.get::<_, Option<String>>(10),
        None,
        "no pod before the job runs"
    );
    assert_eq!(
        row.get::<_, Option<String>>(11).as_deref(),
        document["workflow_job"]["html_url"].as_str()
    );
    assert_eq!(row.get::<_, Option<String>>(12).as_deref(), Some("update"));
    assert_eq!(
        row.get::<_, Option<i64>>(13),
        document["workflow_job"]["run_id"].as_i64()
    );
    assert_eq!(row.get::<_, i32>(14), 0);
    assert!(row.get::<_, bool>(15));
    assert_eq!(outcomes(&app).await, ["job_stored"]);
}

#[tokio::test]
async fn a_stored_job_event_keeps_a_trimmed_payload() {
    let app = spawn_app().await;
    deliver_fixture(&app, QUEUED).await;
    let payload: Value = app
        .db
        .query_one("SELECT payload FROM installation_events", &[])
        .await
        .unwrap()
        .get(0);
    let job = &payload["workflow_job"];
    assert!(job.get("steps").is_none() && job.get("url").is_none() && job.get("run_url").is_none());
    assert!(job.get("check_run_url").is_none());
    assert_eq!(
        job["html_url"],
        fixtures::json(QUEUED)["workflow_job"]["html_url"]
    );
    let repository = payload["repository"].as_object().unwrap();
    assert!(repository
        .keys()
        .all(|key| key != "url" && !key.ends_with("_url") && key != "license"));
    assert!(payload["repository"]["owner"]
        .as_object()
        .unwrap()
        .keys()
        .all(|key| !key.ends_with("_url")));
    assert!(payload["sender"]
        .as_object()
        .unwrap()
        .keys()
        .all(|key| key != "url" && !key.ends_with("_url")));
    assert_eq!(payload["repository"]["full_name"], "Codertocat/Hello-World");
}

#[tokio::test]
async fn a_second_queued_for_a_known_job_changes_nothing() {
    let app = spawn_app().await;
    deliver_fixture(&app, QUEUED).await;
    assert_eq!(
        deliver_fixture(&app, QUEUED).await,
        (200, format!("Job {JOB} already exists."))
    );
    assert_eq!(app.scalar("SELECT count(*) FROM jobs").await, 1);
    assert_eq!(outcomes(&app).await, ["job_stored", "job_already_exists"]);
}

#[tokio::test]
async fn a_job_runs_then_completes() {
    let app = spawn_app().await;
    deliver_fixture(&app, QUEUED).await;
    assert_eq!(
        deliver_fixture(&app, IN_PROGRESS).await,
        (200, format!("Job {JOB} marked running (was pending)."))
    );
    let running = app
        .db
        .query_one("SELECT k8s_pod, job_started_at IS NOT NULL FROM jobs", &[])
        .await
        .unwrap();
    assert_eq!(
        running.get::<_, Option<String>>(0).as_deref(),
        Some("GitHub Actions 5")
    );
    assert!(running.get::<_, bool>(1));
    assert_eq!(
        deliver_fixture(&app, COMPLETED).await,
        (200, format!("Job {JOB} completed (was running)."))
    );
    let done = app
        .db
        .query_one(
            "SELECT status::text, job_conclusion, job_completed_at IS NOT NULL FROM jobs",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(done.get::<_, String>(0), "completed");
    assert_eq!(done.get::<_, Option<String>>(1).as_deref(), Some("success"));
    assert!(done.get::<_, bool>(2));
    assert_eq!(
        outcomes(&app).await,
        ["job_stored", "job_marked_running", "job_marked_completed"]
    );
}

#[tokio::test]
async fn queued_then_completed_completes_a_pending_job() {
    let app = spawn_app().await;
    deliver_fixture(&app, QUEUED).await;
    assert_eq!(
        deliver_fixture(&app, COMPLETED).await,
        (200, format!("Job {JOB} completed (was pending)."))
    );
    assert_eq!(app.job_status(JOB).await.as_deref(), Some("completed"));
}

#[tokio::test]
async fn late_deliveries_never_move_a_job_back() {
    let app = spawn_app().await;
    deliver_fixture(&app, QUEUED).await;
    deliver_fixture(&app, COMPLETED).await;
    assert_eq!(
        deliver_fixture(&app, IN_PROGRESS).await,
        (200, format!("Job {JOB} marked running (was completed)."))
    );
    assert_eq!(
        deliver_fixture(&app, COMPLETED).await,
        (200, format!("Job {JOB} completed (was completed)."))
    );
    assert_eq!(
        deliver_fixture(&app, QUEUED).await,
        (200, format!("Job {JOB} already exists."))
    );
    assert_eq!(app.job_status(JOB).await.as_deref(), Some("completed"));
}

#[tokio::test]
async fn a_job_the_scheduler_failed_stays_failed() {
    let app = spawn_app().await;
    deliver_fixture(&app, QUEUED).await;
    app.db
        .execute("UPDATE jobs SET status = 'failed'", &[])
        .await
        .unwrap();
    assert_eq!(
        deliver_fixture(&app, IN_PROGRESS).await,
        (200, format!("Job {JOB} marked running (was failed)."))
    );
    assert_eq!(
        deliver_fixture(&app, COMPLETED).await,
        (200, format!("Job {JOB} completed (was failed)."))
    );
    assert_eq!(app.job_status(JOB).await.as_deref(), Some("failed"));
}

#[tokio::test]
async fn in_progress_before_queued_leaves_a_tombstone_that_queued_cannot_resurrect() {
    let app = spawn_app().await;
    assert_eq!(
        deliver_fixture(&app, IN_PROGRESS).await,
        (200, format!("Job {JOB} stored as running."))
    );
    assert_eq!(
        deliver_fixture(&app, QUEUED).await,
        (200, format!("Job {JOB} already exists."))
    );
    assert_eq!(app.job_status(JOB).await.as_deref(), Some("running"));
    assert_eq!(
        outcomes(&app).await,
        ["job_stored_out_of_order", "job_already_exists"]
    );
}

#[tokio::test]
async fn completed_before_queued_is_stored_completed_when_the_payload_allows() {
    let app = spawn_app().await;
    let document = set(fixtures::json(COMPLETED), "installation", json!({"id": 77}));
    assert_eq!(
        deliver(&app, &document).await,
        (200, format!("Job {JOB} stored as completed."))
    );
    let row = app
        .db
        .query_one(
            "SELECT status::text, job_conclusion, installation_id FROM jobs",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "completed");
    assert_eq!(row.get::<_, Option<String>>(1).as_deref(), Some("success"));
    assert_eq!(row.get::<_, i64>(2), 77);
    assert_eq!(
        deliver_fixture(&app, QUEUED).await,
        (200, format!("Job {JOB} already exists."))
    );
}

#[tokio::test]
async fn completed_for_an_unknown_job_without_installation_is_not_found() {
    let app = spawn_app().await;
    // GitHub's example completed payloads carry no installation object.
    assert_eq!(
        deliver_fixture(&app, COMPLETED).await,
        (200, format!("Job {JOB} not found."))
    );
    assert_eq!(app.scalar("SELECT count(*) FROM jobs").await, 0);
    assert_eq!(outcomes(&app).await, ["job_not_found"]);
}

#[tokio::test]
async fn in_progress_for_an_unknown_job_without_a_link_is_not_found() {
    let app = spawn_app().await;
    let document = remove(fixtures::json(IN_PROGRESS), "workflow_job.html_url");
    assert_eq!(
        deliver(&app, &document).await,
        (200, format!("Job {JOB} not found."))
    );
    assert_eq!(app.scalar("SELECT count(*) FROM jobs").await, 0);
}

#[tokio::test]
async fn actions_other_than_the_three_are_ignored() {
    let app = spawn_app().await;
    let answer = deliver_fixture(&app, "workflow_job.waiting.json").await;
    assert_eq!(answer, (200, "Ignoring action: waiting".to_owned()));
    assert_eq!(
        app.events().await,
        [(
            "workflow_job.waiting".to_owned(),
            "ignored_action".to_owned()
        )]
    );
    assert_eq!(app.scalar("SELECT count(*) FROM jobs").await, 0);
}

#[tokio::test]
async fn unrouted_labels_are_ignored_with_a_minimal_payload() {
    let app = spawn_app().await;
    let answer = deliver_fixture(&app, "workflow_job.queued.with-deployment.json").await;
    assert_eq!(
        answer,
        (
            200,
            "Ignoring job: missing required platform label".to_owned()
        )
    );
    let document = fixtures::json("workflow_job.queued.with-deployment.json");
    let payload: Value = app
        .db
        .query_one("SELECT payload FROM installation_events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        payload,
        json!({
            "labels": ["self-hosted", "k8s"],
            "html_url": document["workflow_job"]["html_url"],
            "full_name": document["repository"]["full_name"],
        })
    );
    assert_eq!(outcomes(&app).await, ["ignored_no_label"]);
    assert_eq!(app.scalar("SELECT count(*) FROM jobs").await, 0);
}

#[tokio::test]
async fn a_routed_queued_job_needs_its_installation_and_link() {
    let app = spawn_app().await;
    for (path, message) in [
        ("installation", "Missing field: installation.id"),
        (
            "workflow_job.html_url",
            "Missing field: workflow_job.html_url",
        ),
    ] {
        let answer = deliver(&app, &remove(fixtures::json(QUEUED), path)).await;
        assert_eq!(answer, (400, message.to_owned()));
    }
    assert_eq!(app.rows_written().await, 0);
}

#[tokio::test]
async fn missing_identity_fields_are_named_and_nothing_is_written() {
    let app = spawn_app().await;
    let cases = [
        (
            remove(fixtures::json(QUEUED), "repository.owner.id"),
            "Missing field: repository.owner.id",
        ),
        (
            set(fixtures::json(QUEUED), "workflow_job.id", json!(0)),
            "Missing field: workflow_job.id",
        ),
        (
            remove(fixtures::json(QUEUED), "repository.full_name"),
            "Missing field: repository.full_name",
        ),
        (
            remove(fixtures::json(QUEUED), "workflow_job"),
            "Missing field: workflow_job",
        ),
        (
            set(
                fixtures::json(QUEUED),
                "repository.owner.type",
                json!("Bot"),
            ),
            "Unsupported owner type: Bot",
        ),
    ];
    for (document, message) in cases {
        assert_eq!(deliver(&app, &document).await, (400, message.to_owned()));
    }
    assert_eq!(app.rows_written().await, 0);
}

#[tokio::test]
async fn a_user_owned_job_records_the_user_account() {
    let app = spawn_app().await;
    let name = "workflow_job.in_progress.with-queued-steps.json";
    let document = fixtures::json(name);
    let id = document["workflow_job"]["id"].as_i64().unwrap();
    assert_eq!(
        deliver_fixture(&app, name).await,
        (200, format!("Job {id} stored as running."))
    );
    let row = app
        .db
        .query_one("SELECT entity_type, entity_id FROM jobs", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "User");
    assert_eq!(
        row.get::<_, i64>(1),
        document["repository"]["owner"]["id"].as_i64().unwrap()
    );
}

#[tokio::test]
async fn an_empty_runner_name_is_stored_as_null() {
    let app = spawn_app().await;
    deliver_fixture(&app, QUEUED).await;
    deliver(
        &app,
        &set(
            fixtures::json(IN_PROGRESS),
            "workflow_job.runner_name",
            json!(""),
        ),
    )
    .await;
    let pod: Option<String> = app
        .db
        .query_one("SELECT k8s_pod FROM jobs", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(pod, None);
}

#[tokio::test]
async fn riscv_jobs_route_by_the_predecessor_table() {
    let app = spawn_app().await;
    let riscv = ["ubuntu-24.04-riscv"];
    let cases = [
        (1, "riseproject-dev/other", &riscv[..], Some("scw-em-rv1")),
        (
            2,
            "ggml-org/llama.cpp",
            &riscv[..],
            Some("cloudv10x-jupiter"),
        ),
        (
            3,
            "riseproject-dev/llama.cpp",
            &riscv[..],
            Some("cloudv10x-jupiter"),
        ),
        (4, "ggml-org/llama.cpp", &["ubuntu-latest"][..], None),
        (
            5,
            "riseproject-dev/other",
            &["UBUNTU-24.04-RISCV", "ubuntu-24.04-riscv"][..],
            Some("scw-em-rv1"),
        ),
        (
            6,
            "riseproject-dev/other",
            &["ubuntu-24.04-riscv", "self-hosted"][..],
            None,
        ),
        (7, "riseproject-dev/other", &[][..], None),
    ];
    for (id, repo, labels, pool) in cases {
        let document = set(job(QUEUED, id, labels), "repository.full_name", json!(repo));
        let (status, text) = deliver(&app, &document).await;
        assert_eq!(status, 200, "{repo} {labels:?}: {text}");
        let stored: Option<String> = app
            .db
            .query_opt("SELECT k8s_pool FROM jobs WHERE job_id = $1", &[&id])
            .await
            .unwrap()
            .map(|row| row.get(0));
        assert_eq!(stored.as_deref(), pool, "{repo} {labels:?}");
    }
}

#[tokio::test]
async fn labels_are_stored_lower_cased_sorted_and_once_with_their_priority() {
    let app = spawn_app_with(|settings| {
        settings.routing.rules.push(ghfe::config::RuleSettings {
            name: "gh-style".into(),
            scope: None,
            labels: vec!["self-hosted".into(), "riscv64".into(), "urgent".into()],
            pool: "subset-pool".into(),
            image: "img".into(),
            priority: 1,
            mode: ghfe::config::MatchModeSetting::Subset,
        });
    })
    .await;
    deliver(&app, &job(QUEUED, 9, &["Urgent", "self-hosted", "URGENT"])).await;
    let row = app
        .db
        .query_one("SELECT job_labels, priority, k8s_pool FROM jobs", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, Value>(0), json!(["self-hosted", "urgent"]));
    assert_eq!(row.get::<_, i32>(1), 51, "rule priority 1 + urgent 50");
    assert_eq!(row.get::<_, String>(2), "subset-pool");
}
