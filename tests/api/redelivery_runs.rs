//! the redelivery use case against a fake GitHub delivery log
//! and a real database: which deliveries it asks for again, what it
//! keeps between runs, and how it stops.

use std::time::Duration;

use chrono::TimeDelta;
use ghfe::adapters::github::{AppCredentials, GithubClient};
use ghfe::adapters::postgres::PgStore;
use ghfe::app::redelivery::{AppRun, Redelivery, RedeliverySettings, RunOptions, RunReport};
use ghfe::domain::redelivery::{Policy, Verdict};

use crate::support::db;
use crate::support::fake_github::{FakeGithub, ORG_APP};
use crate::support::fixtures;

type Service = Redelivery<PgStore, GithubClient>;

fn limits() -> RedeliverySettings {
    RedeliverySettings {
        window: TimeDelta::hours(72),
        overlap: TimeDelta::minutes(15),
        max_pages: 20,
        max_run_time: Duration::from_secs(20),
        pace: Duration::from_millis(10),
        policy: Policy {
            max_per_run: 50,
            max_tries: 3,
            settle: TimeDelta::seconds(30),
            first_backoff: TimeDelta::minutes(2),
            max_backoff: TimeDelta::minutes(30),
        },
    }
}

/// The use case as the org App, on the database at `db_url`.
fn service(github: &FakeGithub, db_url: &str, limits: RedeliverySettings) -> Service {
    let key = String::from_utf8(fixtures::bytes("app-private-key.pkcs1.pem")).unwrap();
    let org = AppCredentials::new(ORG_APP, &key).unwrap();
    let client = GithubClient::new(&github.uri(), Duration::from_secs(2), Some(org), None).unwrap();
    let (store, _task) = PgStore::connect(&db::options(db_url)).unwrap();
    Redelivery::new(store, client, limits)
}

async fn run(service: &Service, options: RunOptions) -> AppRun {
    match service
        .run(options)
        .await
        .expect("the run reaches the database")
    {
        RunReport::Ran(mut runs) => runs.pop().expect("one App"),
        RunReport::Skipped => panic!("the run was skipped"),
    }
}

fn verdict(run: &AppRun, guid: &str) -> Verdict {
    run.decisions
        .iter()
        .find(|d| d.guid == guid)
        .unwrap_or_else(|| panic!("{guid} decided"))
        .verdict
}

fn minutes(count: i64) -> TimeDelta {
    TimeDelta::minutes(count)
}

#[tokio::test]
async fn a_run_asks_again_for_each_undelivered_guid_by_its_newest_attempt() {
    let github = FakeGithub::start().await;
    github.page_size(2);
    let db_url = db::fresh_database().await;
    let client = db::connect(&db_url).await;
    client
        .batch_execute("INSERT INTO installation_events (source, event, outcome, delivery_id) VALUES ('webhook', 'ping', 'ping', 'recorded')")
        .await
        .unwrap();
    github.failed_job(ORG_APP, "ok-later", 1, minutes(10));
    github.attempted(ORG_APP, "ok-later", "workflow_job", vec![], minutes(9), 200);
    github.failed_job(ORG_APP, "twice", 2, minutes(8));
    let newest = github.attempted(ORG_APP, "twice", "workflow_job", vec![], minutes(7), 0);
    let refused = github.failed_job(ORG_APP, "refused", 3, minutes(6));
    github.refuse(refused);
    github.failed_job(ORG_APP, "recorded", 4, minutes(5));
    github.failed_job(ORG_APP, "young", 5, TimeDelta::seconds(5));
    let service = service(&github, &db_url, limits());

    let first = run(&service, RunOptions::default()).await;
    assert_eq!(first.listed, 7);
    assert!(!first.truncated, "{first:?}");
    assert_eq!(verdict(&first, "ok-later"), Verdict::Delivered);
    assert_eq!(verdict(&first, "recorded"), Verdict::Recorded);
    assert_eq!(verdict(&first, "twice"), Verdict::Redeliver);
    assert_eq!(verdict(&first, "refused"), Verdict::GaveUp);
    assert_eq!(verdict(&first, "young"), Verdict::Later);
    assert_eq!(first.redelivered, 1);
    // The newest attempt of "twice" was the one asked for; nothing else.
    assert_eq!(github.calls().1, 2);
    assert_eq!(github.queued(), 1);
    let asked: Vec<String> = client
        .query(
            "SELECT guid || ':' || tries || ':' || gave_up FROM redelivery_tries ORDER BY guid",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(asked, ["refused:1:true", "twice:1:false"]);
    let _ = newest;

    // The next run: "twice" waits for its back-off, "refused" stays given up.
    let second = run(&service, RunOptions::default()).await;
    assert_eq!(verdict(&second, "twice"), Verdict::Later);
    assert_eq!(verdict(&second, "refused"), Verdict::GaveUp);
    assert_eq!(github.calls().1, 2, "nothing asked again");
}

#[tokio::test]
async fn a_dry_run_asks_nothing_and_keeps_nothing() {
    let github = FakeGithub::start().await;
    let db_url = db::fresh_database().await;
    github.failed_job(ORG_APP, "lost", 1, minutes(5));
    let service = service(&github, &db_url, limits());
    let dry = run(
        &service,
        RunOptions {
            dry_run: true,
            since: None,
        },
    )
    .await;
    assert_eq!(verdict(&dry, "lost"), Verdict::Redeliver);
    assert_eq!(github.calls(), (1, 0));
    let client = db::connect(&db_url).await;
    for table in ["redelivery_tries", "redelivery_checkpoints"] {
        let rows: i64 = client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(rows, 0, "{table}");
    }
}

#[tokio::test]
async fn a_scan_cut_short_keeps_the_checkpoint_and_a_complete_one_moves_it() {
    let github = FakeGithub::start().await;
    github.page_size(2);
    let db_url = db::fresh_database().await;
    for n in 0..5 {
        github.attempted(
            ORG_APP,
            &format!("ok-{n}"),
            "ping",
            vec![],
            minutes(20 + n),
            200,
        );
    }
    let checkpoint = || async {
        let client = db::connect(&db_url).await;
        client
            .query_opt("SELECT checked_to FROM redelivery_checkpoints", &[])
            .await
            .unwrap()
            .map(|row| row.get::<_, chrono::DateTime<chrono::Utc>>(0))
    };
    let short = service(
        &github,
        &db_url,
        RedeliverySettings {
            max_pages: 2,
            ..limits()
        },
    );
    let cut = run(&short, RunOptions::default()).await;
    assert!(cut.truncated);
    assert_eq!(cut.listed, 4);
    assert_eq!(checkpoint().await, None, "a cut scan keeps no checkpoint");

    // Another instance (a restart, another replica) reads to the end.
    let full = service(&github, &db_url, limits());
    let complete = run(&full, RunOptions::default()).await;
    assert!(!complete.truncated);
    assert_eq!(complete.listed, 5);
    let saved = checkpoint().await.expect("a checkpoint");
    assert!(chrono::Utc::now() - saved < minutes(1));

    // The next scan stops at the checkpoint minus the overlap: one page.
    let (lists, _) = github.calls();
    let next = run(&full, RunOptions::default()).await;
    assert_eq!(next.listed, 0);
    assert_eq!(github.calls().0, lists + 1);
}

#[tokio::test]
async fn a_delivery_still_unresolved_holds_the_checkpoint_back() {
    let github = FakeGithub::start().await;
    let db_url = db::fresh_database().await;
    github.failed_job(ORG_APP, "waiting", 1, minutes(40));
    // Its redelivery keeps failing: the fake never delivers it.
    let service = service(&github, &db_url, limits());
    let first = run(&service, RunOptions::default()).await;
    assert_eq!(first.redelivered, 1);
    let client = db::connect(&db_url).await;
    let behind: bool = client
        .query_one(
            "SELECT checked_to < now() - interval '39 minutes' FROM redelivery_checkpoints",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(behind, "the checkpoint stays at the unresolved delivery");
}

#[tokio::test]
async fn a_rate_limit_ends_the_run_and_the_rest_waits() {
    let github = FakeGithub::start().await;
    let db_url = db::fresh_database().await;
    for n in 0..4 {
        github.failed_job(ORG_APP, &format!("lost-{n}"), n, minutes(10 - n));
    }
    github.rate_limit_after(1);
    let service = service(&github, &db_url, limits());
    let limited = run(&service, RunOptions::default()).await;
    assert!(limited.rate_limited);
    assert_eq!(limited.redelivered, 1);
    assert_eq!(verdict(&limited, "lost-0"), Verdict::Redeliver);
    assert_eq!(verdict(&limited, "lost-1"), Verdict::Deferred);
    assert_eq!(verdict(&limited, "lost-3"), Verdict::Deferred);
    assert_eq!(github.calls().1, 2, "no request after the rate limit");
}

#[tokio::test]
async fn two_runs_at_once_make_one_run() {
    let github = FakeGithub::start().await;
    let db_url = db::fresh_database().await;
    for n in 0..3 {
        github.failed_job(ORG_APP, &format!("lost-{n}"), n, minutes(10 - n));
    }
    let slow = RedeliverySettings {
        pace: Duration::from_millis(300),
        ..limits()
    };
    let one = service(&github, &db_url, slow.clone());
    let other = service(&github, &db_url, slow);
    let (a, b) = tokio::join!(
        one.run(RunOptions::default()),
        other.run(RunOptions::default())
    );
    let skipped = [a.unwrap(), b.unwrap()]
        .iter()
        .filter(|report| matches!(report, RunReport::Skipped))
        .count();
    assert_eq!(skipped, 1);
    assert_eq!(github.calls().1, 3, "each lost delivery asked for once");
}
