//! what ghfe does about deliveries it never got: while it is down
//! GitHub records failed attempts; once it is back its redelivery loop has
//! them sent again, every job is stored once and the scheduler woken; and
//! `ghfe redeliver --dry-run` says what it would ask for.

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use secrecy::SecretString;

use crate::support::app::spawn_app_with;
use crate::support::binary::{ghfe, stderr, stdout};
use crate::support::db;
use crate::support::fake_github::{FakeGithub, ORG_APP};
use crate::support::fixtures;
use crate::support::wake;

fn key() -> String {
    String::from_utf8(fixtures::bytes("app-private-key.pkcs1.pem")).unwrap()
}

#[tokio::test]
async fn deliveries_lost_while_ghfe_was_down_are_stored_once_it_is_back() {
    let github = FakeGithub::start().await;
    // ghfe was down: GitHub got no answer for three jobs, after one that
    // was delivered before.
    github.attempted(
        ORG_APP,
        "before",
        "ping",
        vec![],
        TimeDelta::minutes(30),
        200,
    );
    let jobs = [701, 702, 703];
    for (n, job) in jobs.iter().enumerate() {
        let age = TimeDelta::minutes(5) - TimeDelta::seconds(i64::try_from(n).unwrap());
        let payload = fixtures::body(&fixtures::job(
            "workflow_job.queued.json",
            *job,
            &["ubuntu-latest"],
        ));
        github.attempted(
            ORG_APP,
            &format!("lost-{job}"),
            "workflow_job",
            payload,
            age,
            0,
        );
    }
    let uri = github.uri();
    let back = Instant::now();
    let app = spawn_app_with(move |s| {
        s.redelivery.enabled = true;
        s.redelivery.pace_ms = 10;
        s.github.api_url = uri;
        s.github.apps.org.id = Some(ORG_APP);
        s.github.apps.org.private_key = Some(SecretString::from(key()));
    })
    .await;
    let mut notifications = wake::listen(&app.db_url).await;
    github.deliver_to(&app.address);

    let deadline = Instant::now() + Duration::from_secs(20);
    while app.scalar("SELECT count(*) FROM jobs").await < 3 {
        assert!(Instant::now() < deadline, "the lost jobs were not stored");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let calls = github.calls();
    eprintln!(
        "every lost delivery stored {:?} after ghfe came back; GitHub API calls: {} list, {} redeliver",
        back.elapsed(),
        calls.0,
        calls.1
    );
    assert_eq!(calls.1, 3, "one redelivery per lost delivery");
    for job in jobs {
        assert_eq!(app.job_status(job).await.as_deref(), Some("pending"));
        let events = app
            .scalar(&format!(
                "SELECT count(*) FROM installation_events WHERE delivery_id = 'lost-{job}'"
            ))
            .await;
        assert_eq!(events, 1, "job {job} recorded once");
        let newest = github
            .attempts_of(&format!("lost-{job}"))
            .last()
            .cloned()
            .unwrap();
        assert_eq!(newest.status_code, 200);
    }
    assert!(jobs
        .map(|j| j.to_string())
        .contains(&wake::next(&mut notifications).await));
    app.stop().await;
}

#[tokio::test]
async fn ghfe_redeliver_dry_run_prints_what_it_would_ask_for() {
    let github = FakeGithub::start().await;
    let db_url = db::fresh_database().await;
    github.attempted(ORG_APP, "fine", "ping", vec![], TimeDelta::minutes(9), 200);
    let lost = github.failed_job(ORG_APP, "lost", 1, TimeDelta::minutes(5));
    github.failed_job(ORG_APP, "young", 2, TimeDelta::seconds(3));
    let vars = [
        ("GHFE_ENV", "test".to_owned()),
        ("POSTGRES_URL", db_url.clone()),
        ("GHFE__GITHUB__API_URL", github.uri()),
        ("GHFE__GITHUB__APPS__ORG__ID", ORG_APP.to_string()),
        ("GHAPP_ORG_PRIVATE_KEY", key()),
    ];
    let output = tokio::task::spawn_blocking(move || {
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        ghfe(&["redeliver", "--dry-run"], &vars)
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
    assert!(
        printed.contains("org App: 3 attempts listed, 3 deliveries: 1 already done, 1 would be redelivered, 0 gave up, 1 later; scan complete"),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("  would redeliver lost (attempt {lost} at ")),
        "{printed}"
    );
    assert!(printed.contains(", answered 503)"), "{printed}");
    assert_eq!(github.calls(), (1, 0), "nothing asked");
}
