//! the reconciler against a fake GitHub jobs API and a real
//! database: stale jobs end the way GitHub says, forward only, with an
//! event row from the reconciler; tokens, ETags and the rate limit.

use std::time::Duration;

use chrono::TimeDelta;
use ghfe::adapters::github::{AppCredentials, GithubClient};
use ghfe::adapters::postgres::PgStore;
use ghfe::app::reconcile::{ReconcileReport, ReconcileRun, ReconcileSettings, Reconciler};
use serde_json::{json, Value};

use crate::support::app::{spawn_app, TestApp};
use crate::support::db;
use crate::support::fake_github::{FakeGithub, ORG_APP, PERSONAL_APP};
use crate::support::fixtures::{self, body, job};

const INSTALLATION: i64 = 3_456_996;

fn reconciler(github: &FakeGithub, db_url: &str) -> Reconciler<PgStore, GithubClient> {
    let pem = |name| String::from_utf8(fixtures::bytes(name)).unwrap();
    let org = AppCredentials::new(ORG_APP, &pem("app-private-key.pkcs1.pem")).unwrap();
    let personal = AppCredentials::new(PERSONAL_APP, &pem("app-private-key.pkcs8.pem")).unwrap();
    let client = GithubClient::new(
        &github.uri(),
        Duration::from_secs(2),
        Some(org),
        Some(personal),
    )
    .unwrap();
    let (store, _task) = PgStore::connect(&db::options(db_url)).unwrap();
    let settings = ReconcileSettings {
        pending_after: TimeDelta::minutes(10),
        running_after: TimeDelta::hours(6),
        per_installation: 20,
        reserve: 0.2,
        deadline: Duration::from_secs(5),
    };
    Reconciler::new(store, client, settings)
}

async fn run(reconciler: &Reconciler<PgStore, GithubClient>) -> ReconcileRun {
    match reconciler
        .run()
        .await
        .expect("the run reaches the database")
    {
        ReconcileReport::Ran(run) => run,
        ReconcileReport::Skipped => panic!("skipped"),
    }
}

/// ghfe with pending jobs `ids`, stored an hour ago.
async fn stale_pending(ids: &[i64]) -> TestApp {
    let app = spawn_app().await;
    for id in ids {
        let answer = app
            .deliver(
                "workflow_job",
                body(&job("workflow_job.queued.json", *id, &["ubuntu-latest"])),
            )
            .await;
        assert_eq!(answer.text, format!("Job {id} stored."));
    }
    age(&app, "created_at", TimeDelta::hours(1)).await;
    app
}

async fn age(app: &TestApp, column: &str, by: TimeDelta) {
    app.db
        .batch_execute(&format!(
            "UPDATE jobs SET {column} = {column} - interval '{} seconds'",
            by.num_seconds()
        ))
        .await
        .unwrap();
}

fn on_github(status: &str, conclusion: Option<&str>) -> Value {
    json!({
        "id": 1, "status": status, "conclusion": conclusion, "runner_name": "riscv-runner-7",
        "started_at": "2026-12-04T10:00:00Z",
        "completed_at": conclusion.map(|_| "2026-12-04T10:05:00Z"),
    })
}

async fn text(app: &TestApp, sql: &str) -> Option<String> {
    app.db.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn a_job_whose_completed_delivery_was_lost_ends_completed() {
    let github = FakeGithub::start().await;
    let app = stale_pending(&[801, 802]).await;
    let running = job("workflow_job.in_progress.json", 802, &["ubuntu-latest"]);
    app.deliver("workflow_job", body(&running)).await;
    age(&app, "updated_at", TimeDelta::hours(7)).await;
    github.job(801, Some(on_github("completed", Some("success"))));
    github.job(802, Some(on_github("completed", Some("failure"))));

    let done = run(&reconciler(&github, &app.db_url)).await;
    assert_eq!((done.checked, done.completed), (2, 2), "{done:?}");
    assert_eq!(app.job_status(801).await.as_deref(), Some("completed"));
    assert_eq!(app.job_status(802).await.as_deref(), Some("completed"));
    assert_eq!(
        text(&app, "SELECT job_conclusion FROM jobs WHERE job_id = 801")
            .await
            .as_deref(),
        Some("success")
    );
    assert_eq!(
        text(&app, "SELECT k8s_pod FROM jobs WHERE job_id = 801")
            .await
            .as_deref(),
        Some("riscv-runner-7")
    );
    let events = app
        .scalar("SELECT count(*) FROM installation_events WHERE source = 'reconciler' AND event = 'workflow_job.completed' AND outcome = 'job_marked_completed'")
        .await;
    assert_eq!(events, 2);
    // The trace shows why the job changed.
    let trace = app
        .get("/trace/job/801", Some(crate::support::app::TRACE_SECRET))
        .await;
    assert!(trace.text.contains("reconciler"), "{}", trace.text);
}

#[tokio::test]
async fn a_job_github_forgot_ends_completed_as_vanished() {
    let github = FakeGithub::start().await;
    let app = stale_pending(&[811]).await;
    let reconciler = reconciler(&github, &app.db_url);
    let first = run(&reconciler).await;
    assert_eq!(first.unchanged, 1);
    assert_eq!(app.job_status(811).await.as_deref(), Some("pending"));
    // Not before its next check is due.
    assert_eq!(run(&reconciler).await.checked, 0);
    app.db
        .batch_execute("UPDATE reconcile_checks SET next_check_at = now()")
        .await
        .unwrap();
    let second = run(&reconciler).await;
    assert_eq!(second.vanished, 1, "{second:?}");
    assert_eq!(app.job_status(811).await.as_deref(), Some("completed"));
    assert_eq!(
        text(&app, "SELECT job_conclusion FROM jobs WHERE job_id = 811")
            .await
            .as_deref(),
        Some("vanished")
    );
}

#[tokio::test]
async fn nothing_moves_backwards_and_a_403_changes_nothing() {
    let github = FakeGithub::start().await;
    let app = stale_pending(&[821, 822]).await;
    app.deliver(
        "workflow_job",
        body(&job(
            "workflow_job.in_progress.json",
            821,
            &["ubuntu-latest"],
        )),
    )
    .await;
    age(&app, "updated_at", TimeDelta::hours(7)).await;
    github.job(821, Some(on_github("queued", None)));
    github.job(822, None);
    let checked = run(&reconciler(&github, &app.db_url)).await;
    assert_eq!(
        (checked.unchanged, checked.forbidden),
        (1, 1),
        "{checked:?}"
    );
    assert_eq!(app.job_status(821).await.as_deref(), Some("running"));
    assert_eq!(app.job_status(822).await.as_deref(), Some("pending"));
    assert_eq!(
        app.scalar("SELECT count(*) FROM installation_events WHERE source = 'reconciler'")
            .await,
        0
    );
}

#[tokio::test]
async fn tokens_last_until_they_expire_and_unchanged_jobs_cost_no_quota() {
    let github = FakeGithub::start().await;
    let app = stale_pending(&[831, 832]).await;
    github.job(831, Some(on_github("queued", None)));
    github.job(832, Some(on_github("queued", None)));
    let reconciler = reconciler(&github, &app.db_url);
    run(&reconciler).await;
    assert_eq!(github.job_calls(), (1, 2, 0), "one token for both jobs");
    app.db
        .batch_execute("UPDATE reconcile_checks SET next_check_at = now()")
        .await
        .unwrap();
    run(&reconciler).await;
    assert_eq!(github.job_calls(), (1, 4, 2), "the same token; both 304");

    // A token within 5 minutes of its expiry is never used: each request
    // gets a new one.
    github.token_lifetime(TimeDelta::minutes(4));
    let fresh = tokens_minted_in_two_runs(&github, &app).await;
    assert_eq!(fresh, 4);
}

/// Two runs of a new reconciler; the tokens minted meanwhile.
async fn tokens_minted_in_two_runs(github: &FakeGithub, app: &TestApp) -> usize {
    let reconciler = reconciler(github, &app.db_url);
    let before = github.job_calls().0;
    for _ in 0..2 {
        app.db
            .batch_execute("UPDATE reconcile_checks SET next_check_at = now()")
            .await
            .unwrap();
        run(&reconciler).await;
    }
    github.job_calls().0 - before
}

#[tokio::test]
async fn a_pass_stops_at_the_rate_limit_reserve_and_the_personal_app_has_its_installations() {
    let github = FakeGithub::start().await;
    github.personal_installation(INSTALLATION);
    let app = stale_pending(&[841, 842, 843]).await;
    for id in [841, 842, 843] {
        github.job(id, Some(on_github("completed", Some("success"))));
    }
    github.quota(INSTALLATION, 1000);
    let stopped = run(&reconciler(&github, &app.db_url)).await;
    assert_eq!(
        (stopped.checked, stopped.rate_limit_stops),
        (1, 1),
        "{stopped:?}"
    );
    assert_eq!(app.job_status(841).await.as_deref(), Some("completed"));
    assert_eq!(app.job_status(843).await.as_deref(), Some("pending"));
}
