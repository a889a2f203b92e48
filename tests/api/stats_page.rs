//! `/stats` and `/stats.json` over rows written straight into `jobs`:
//! weekly runner time per account (the busiest named, the rest summed),
//! queue-time percentiles per pool and day, the same from counted days,
//! escaping, empty states and bad parameters.

use std::time::Duration;

use serde_json::json;

use crate::support::app::{spawn_app, TestApp};

/// A completed job of `owner` in `pool`, stored `weeks_back` weeks before
/// this week's Monday plus `hour` hours (UTC), queued `queued` seconds and
/// run `ran` seconds.
#[allow(clippy::too_many_arguments)]
async fn ran(
    app: &TestApp,
    id: i64,
    owner: &str,
    pool: &str,
    weeks_back: i32,
    hour: i32,
    queued: i32,
    ran: i32,
) {
    app.db
        .execute(
            "WITH at AS (SELECT (date_trunc('week', now() AT TIME ZONE 'UTC') \
                                 - make_interval(weeks => $4) + make_interval(hours => $5)) AT TIME ZONE 'UTC' AS t) \
             INSERT INTO jobs (job_id, status, provider, entity_id, entity_name, entity_type, repo_full_name, \
             installation_id, job_labels, k8s_pool, k8s_image, job_created_at, job_started_at, job_completed_at, created_at) \
             SELECT $1, 'completed', 'github', length($2), $2, 'Organization', $2 || '/app', 1, '[\"riscv\"]', $3, 'img', \
                    t, t + make_interval(secs => $6), t + make_interval(secs => $6 + $7), t FROM at",
            &[&id, &owner, &pool, &weeks_back, &hour, &f64::from(queued), &f64::from(ran)],
        )
        .await
        .unwrap();
}

/// ghfe counts the passed days of jobs when it starts; a test that writes
/// jobs into those days afterwards waits for that and makes it count again.
async fn forget_counted_days(app: &TestApp) {
    for _ in 0..200 {
        if app.scalar("SELECT count(*) FROM job_count_days").await >= 365 {
            app.db
                .batch_execute(
                    "DELETE FROM job_count_days; DELETE FROM job_usage_daily; \
                     DELETE FROM job_queue_daily",
                )
                .await
                .unwrap();
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("ghfe did not count the passed days at start");
}

/// Counts every passed day as ghfe's upkeep does, with a store of its own.
async fn count_passed_days(app: &TestApp) -> usize {
    let options = crate::support::db::options(&app.db_url);
    let (store, _task) = ghfe::adapters::postgres::PgStore::connect(&options).unwrap();
    store.count_passed_days(400).await.unwrap()
}

#[tokio::test]
async fn weekly_usage_names_the_busiest_accounts_and_sums_the_rest() {
    let app = spawn_app().await;
    // Eight accounts this week: account k ran k jobs of k minutes each.
    let mut id = 0;
    for k in 1..=8 {
        for _ in 0..k {
            id += 1;
            ran(
                &app,
                id,
                &format!("acct-{k}"),
                "scw-em-rv1",
                0,
                0,
                5,
                k * 60,
            )
            .await;
        }
    }
    // Last week: acct-8 once for 30 minutes; eleven weeks ago it is still
    // in the default window, twelve weeks ago it is not.
    ran(&app, 100, "acct-8", "scw-em-rv1", 1, 2, 5, 1800).await;
    ran(&app, 101, "acct-8", "scw-em-rv1", 11, 2, 5, 60).await;
    ran(&app, 102, "acct-8", "scw-em-rv1", 12, 2, 5, 60).await;
    forget_counted_days(&app).await;

    let stats = app.get_json("/stats.json", None).await;
    let weeks = stats["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 12);
    let accounts = stats["accounts"].as_array().unwrap();
    let names: Vec<&str> = accounts
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "acct-8",
            "acct-7",
            "acct-6",
            "acct-5",
            "acct-4",
            "acct-3",
            "other accounts"
        ]
    );
    let top = &accounts[0];
    assert_eq!(top["jobs"][11], 8);
    assert_eq!(top["runner_seconds"][11], 8 * 8 * 60);
    assert_eq!(top["runner_seconds"][10], 1800);
    assert_eq!(
        top["runner_seconds"][0], 60,
        "eleven weeks back is the first week"
    );
    let other = &accounts[6];
    assert_eq!(other["accounts"], 2);
    assert_eq!(other["jobs"][11], 1 + 2);
    assert_eq!(other["runner_seconds"][11], 60 + 2 * 2 * 60);

    let four = app.get_json("/stats.json?weeks=1", None).await;
    assert_eq!(four["weeks"].as_array().unwrap().len(), 1);
    assert_eq!(four["accounts"][0]["runner_seconds"], json!([8 * 8 * 60]));

    let page = app.get("/stats", None).await;
    assert_eq!(page.status, 200);
    for expected in [
        "<h2>Runner minutes per week</h2>",
        "<h2>Jobs per week</h2>",
        "aria-label=\"Runner minutes per week, stacked by account\"",
        "<title>acct-8, ",
        "other accounts (2)",
        // acct-8's total minutes: 8 × 8 this week, 30 last week, 1 at the start.
        "<td class=\"num\"><strong>95</strong></td>",
    ] {
        assert!(page.text.contains(expected), "/stats lacks {expected}");
    }

    // Counted days give the same numbers; each day is counted once.
    assert!(count_passed_days(&app).await >= 365);
    assert_eq!(count_passed_days(&app).await, 0, "each day once");
    assert!(app.scalar("SELECT count(*) FROM job_usage_daily").await >= 3);
    assert_eq!(app.get_json("/stats.json", None).await, stats);
    assert_eq!(app.get_json("/stats.json?weeks=1", None).await, four);
}

#[tokio::test]
async fn queue_times_are_percentiles_per_pool_and_day() {
    let app = spawn_app().await;
    // Today (UTC), pool a: queue times 10, 20, …, 100 seconds.
    for i in 1..=10 {
        app.db
            .execute(
                "WITH at AS (SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS t) \
                 INSERT INTO jobs (job_id, status, provider, entity_id, entity_name, entity_type, repo_full_name, \
                 installation_id, job_labels, k8s_pool, k8s_image, job_created_at, job_started_at, created_at) \
                 SELECT $1, 'running', 'github', 1, 'acme', 'Organization', 'acme/app', 1, '[\"riscv\"]', 'pool-a', 'img', \
                        t, t + make_interval(secs => $2), t FROM at",
                &[&i64::from(i), &(10.0 * f64::from(i))],
            )
            .await
            .unwrap();
    }
    // A pending job has no queue time yet and is left out.
    app.db
        .execute(
            "INSERT INTO jobs (job_id, status, provider, entity_id, entity_name, entity_type, repo_full_name, \
             installation_id, job_labels, k8s_pool, k8s_image, job_created_at) \
             VALUES (99, 'pending', 'github', 1, 'acme', 'Organization', 'acme/app', 1, '[]', 'pool-b', 'img', now())",
            &[],
        )
        .await
        .unwrap();
    // Three days ago, pool a: two jobs, 30 and 90 seconds.
    for (id, wait) in [(50_i64, 30.0_f64), (51, 90.0)] {
        app.db
            .execute(
                "WITH at AS (SELECT (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '3 days') \
                                    AT TIME ZONE 'UTC' AS t) \
                 INSERT INTO jobs (job_id, status, provider, entity_id, entity_name, entity_type, repo_full_name, \
                 installation_id, job_labels, k8s_pool, k8s_image, job_created_at, job_started_at, created_at) \
                 SELECT $1, 'completed', 'github', 1, 'acme', 'Organization', 'acme/app', 1, '[]', 'pool-a', 'img', \
                        t, t + make_interval(secs => $2), t FROM at",
                &[&id, &wait],
            )
            .await
            .unwrap();
    }
    forget_counted_days(&app).await;
    let stats = app.get_json("/stats.json?days=4", None).await;
    assert_eq!(stats["days"].as_array().unwrap().len(), 4);
    let pools = stats["pools"].as_array().unwrap();
    assert_eq!(pools.len(), 1, "{pools:?}");
    assert_eq!(pools[0]["pool"], "pool-a");
    assert_eq!(pools[0]["jobs"], json!([2, 0, 0, 10]));
    assert_eq!(pools[0]["p50"], json!([60.0, null, null, 55.0]));
    assert_eq!(pools[0]["p90"][3], 91.0);
    let p99 = pools[0]["p99"][3].as_f64().unwrap();
    assert!((p99 - 99.1).abs() < 1e-9, "{p99}");
    // The day three days back, once counted, reads the same.
    assert!(count_passed_days(&app).await >= 365);
    assert_eq!(app.scalar("SELECT count(*) FROM job_queue_daily").await, 1);
    // (Only the pools: running jobs' runner time grows by the second.)
    assert_eq!(
        app.get_json("/stats.json?days=4", None).await["pools"],
        stats["pools"]
    );

    let page = app.get("/stats?days=4", None).await;
    for expected in [
        "<h3>pool-a</h3>",
        "aria-label=\"Queue time percentiles per day in pool pool-a\"",
        "<td class=\"num\">10</td><td class=\"num\">55s</td><td class=\"num\">1m 31s</td><td class=\"num\">1m 39s</td>",
        "<circle class=\"p90\"",
    ] {
        assert!(page.text.contains(expected), "/stats lacks {expected}");
    }
}

#[tokio::test]
async fn stats_escape_names_that_came_from_payloads() {
    let app = spawn_app().await;
    ran(
        &app,
        1,
        "<img src=x onerror=alert(1)>",
        "<b>pool</b>",
        0,
        0,
        5,
        60,
    )
    .await;
    let page = app.get("/stats", None).await;
    assert_eq!(page.status, 200);
    assert!(!page.text.contains("<img src=x"));
    assert!(!page.text.contains("<b>pool</b>"));
    assert!(page.text.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(page.text.contains("<h3>&lt;b&gt;pool&lt;"));
    assert!(page
        .text
        .contains("label=\"Queue time percentiles per day in pool &lt;b&gt;pool&lt;"));
}

#[tokio::test]
async fn empty_stats_say_so() {
    let app = spawn_app().await;
    let page = app.get("/stats?weeks=4&days=7", None).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("No jobs stored in the last 4 weeks."));
    assert!(page.text.contains("No job started in the last 7 days."));
    assert!(!page.text.contains("<svg"));
    let stats = app.get_json("/stats.json", None).await;
    assert_eq!(stats["accounts"], json!([]));
    assert_eq!(stats["pools"], json!([]));
}

#[tokio::test]
async fn bad_stats_parameters_are_named() {
    let app = spawn_app().await;
    let weeks = "invalid parameter weeks, expected a number of weeks from 1 to 52";
    let days = "invalid parameter days, expected a number of days from 1 to 90";
    for (query, message) in [
        ("weeks=0", weeks),
        ("weeks=53", weeks),
        ("weeks=two", weeks),
        ("days=91", days),
        ("days=-1", days),
    ] {
        for path in ["/stats", "/stats.json"] {
            let answer = app.get(&format!("{path}?{query}"), None).await;
            assert_eq!(
                (answer.status, answer.text.as_str()),
                (400, message),
                "{path}?{query}"
            );
        }
    }
    // An empty field (a submitted form left blank) means the default.
    assert_eq!(app.get("/stats?weeks=&days=", None).await.status, 200);
}
