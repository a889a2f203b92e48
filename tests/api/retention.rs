//! retention: old event rows and old completed jobs go, in batches;
//! active jobs, recent rows and the reconciler's live checks stay; a
//! setting shorter than the redelivery window is refused at start-up.

use std::time::Duration;

use chrono::TimeDelta;
use ghfe::adapters::postgres::PgStore;
use ghfe::app::retention::{Pruned, Retention, RetentionSettings};

use crate::support::binary::{ghfe, stderr};
use crate::support::db;

fn retention(db_url: &str, events: Option<i64>, jobs: Option<i64>) -> Retention<PgStore> {
    let (store, _task) = PgStore::connect(&db::options(db_url)).unwrap();
    Retention::new(
        store,
        RetentionSettings {
            events: events.map(TimeDelta::days),
            jobs: jobs.map(TimeDelta::days),
            max_run_time: Duration::from_secs(30),
        },
    )
}

const JOB: &str = "INSERT INTO jobs (job_id, status, provider, entity_id, entity_name, entity_type, repo_full_name, \
     installation_id, job_labels, k8s_pool, k8s_image, updated_at) \
     VALUES ($1, $2::text::status_enum, 'github', 1, 'acme', 'Organization', 'acme/app', 1, '[]', 'p', 'i', now() - make_interval(days => $3))";

#[tokio::test]
async fn old_rows_go_and_everything_else_stays() {
    let db_url = db::fresh_database().await;
    let client = db::connect(&db_url).await;
    // 6,000 old events (more than one batch), 3 recent ones.
    client
        .batch_execute(
            "INSERT INTO installation_events (source, event, outcome, received_at) \
                 SELECT 'webhook', 'ping', 'ping', now() - interval '40 days' FROM generate_series(1, 6000); \
             INSERT INTO installation_events (source, event, outcome, received_at) \
                 SELECT 'webhook', 'ping', 'ping', now() - interval '2 days' FROM generate_series(1, 3)",
        )
        .await
        .unwrap();
    for (id, status, days) in [
        (1_i64, "completed", 100),
        (2, "completed", 10),
        (3, "pending", 100),
        (4, "running", 100),
    ] {
        client.execute(JOB, &[&id, &status, &days]).await.unwrap();
    }
    client
        .batch_execute(
            "INSERT INTO reconcile_checks (job_id, checks, next_check_at) VALUES (1, 1, now()), (3, 1, now())",
        )
        .await
        .unwrap();

    let pruned = retention(&db_url, Some(30), Some(90)).run().await.unwrap();
    assert_eq!(
        pruned,
        Some(Pruned {
            events: 6000,
            jobs: 1
        })
    );
    let count = |sql: &'static str| {
        let client = &client;
        async move { client.query_one(sql, &[]).await.unwrap().get::<_, i64>(0) }
    };
    assert_eq!(count("SELECT count(*) FROM installation_events").await, 3);
    let kept: Vec<i64> = client
        .query("SELECT job_id FROM jobs ORDER BY 1", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(kept, [2, 3, 4]);
    assert_eq!(
        count("SELECT count(*) FROM reconcile_checks WHERE job_id = 3").await,
        1
    );
    assert_eq!(count("SELECT count(*) FROM reconcile_checks").await, 1);

    // Unset keeps everything.
    let none = retention(&db_url, None, None).run().await.unwrap();
    assert_eq!(none, Some(Pruned::default()));
}

#[test]
fn events_kept_shorter_than_the_redelivery_window_are_refused() {
    let output = ghfe(&["check-config"], &[("GHFE__RETENTION__EVENTS_DAYS", "2")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("retention.events_days (2) is shorter than redelivery.window_hours (72 h)"),
        "{}",
        stderr(&output)
    );
    let fine = ghfe(&["check-config"], &[("GHFE__RETENTION__EVENTS_DAYS", "3")]);
    assert!(fine.status.success(), "{}", stderr(&fine));
}

#[test]
fn jobs_kept_for_less_than_three_days_are_refused() {
    for days in ["0", "2"] {
        let output = ghfe(&["check-config"], &[("GHFE__RETENTION__JOBS_DAYS", days)]);
        assert_eq!(output.status.code(), Some(2), "{days}");
        assert!(
            stderr(&output).contains("retention.jobs_days must be at least 3"),
            "{}",
            stderr(&output)
        );
    }
    let fine = ghfe(&["check-config"], &[("GHFE__RETENTION__JOBS_DAYS", "3")]);
    assert!(fine.status.success(), "{}", stderr(&fine));
}
