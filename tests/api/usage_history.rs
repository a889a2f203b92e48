//! `/usage` and `/history`, HTML and JSON, over rows written
//! straight into `jobs` and `workers` (the scheduler writes the latter).

use serde_json::{json, Value};

use crate::support::app::{spawn_app, TestApp};

/// A job of `owner`, stored `minutes_ago`.
async fn job(app: &TestApp, id: i64, owner: &str, labels: Value, status: &str, minutes_ago: i32) {
    app.db
        .execute(
            "INSERT INTO jobs (job_id, status, provider, entity_id, entity_name, entity_type, repo_full_name, \
             installation_id, job_labels, k8s_pool, k8s_image, html_url, created_at) \
             VALUES ($1, $2::text::status_enum, 'github', length($3), $3, 'Organization', $3 || '/app', 1, $4, \
             'scw-em-rv1', 'img', 'https://github.com/' || $3 || '/app/runs/' || $1::bigint::text, now() - make_interval(mins => $5))",
            &[&id, &status, &owner, &labels, &minutes_ago],
        )
        .await
        .unwrap();
}

async fn worker(app: &TestApp, pod: &str, owner: &str, labels: Value, pool: &str, status: &str) {
    app.db
        .execute(
            "INSERT INTO workers (pod_name, entity_id, entity_name, entity_type, job_labels, k8s_pool, status) \
             VALUES ($1, length($2), $2, 'Organization', $3, $4, $5::text::status_enum)",
            &[&pod, &owner, &labels, &pool, &status],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn usage_without_activity_says_so() {
    let app = spawn_app().await;
    job(&app, 1, "acme", json!(["riscv"]), "completed", 1).await;
    let page = app.get("/usage", None).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("No active jobs or workers."));
    assert_eq!(app.get_json("/usage.json", None).await["groups"], json!([]));
}

#[tokio::test]
async fn usage_groups_jobs_and_workers_by_account_and_labels() {
    let app = spawn_app().await;
    job(&app, 1, "acme", json!(["riscv"]), "pending", 10).await;
    job(&app, 2, "acme", json!(["riscv"]), "pending", 3).await;
    job(&app, 3, "acme", json!(["riscv"]), "running", 20).await;
    job(&app, 4, "acme", json!(["big", "riscv"]), "pending", 1).await;
    job(&app, 5, "beta", json!(["riscv"]), "completed", 1).await;
    job(&app, 6, "beta", json!(["riscv"]), "failed", 1).await;
    worker(
        &app,
        "pod-a",
        "acme",
        json!(["riscv"]),
        "cloudv10x-jupiter",
        "running",
    )
    .await;
    worker(
        &app,
        "pod-b",
        "acme",
        json!(["riscv"]),
        "scw-em-rv1",
        "pending",
    )
    .await;
    worker(
        &app,
        "pod-c",
        "acme",
        json!(["riscv"]),
        "scw-em-rv1",
        "completed",
    )
    .await;

    let usage = app.get_json("/usage.json", None).await;
    let groups = usage["groups"].as_array().unwrap();
    let keys: Vec<(String, Value)> = groups
        .iter()
        .map(|g| {
            (
                g["entity_name"].as_str().unwrap().to_owned(),
                g["labels"].clone(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("acme".to_owned(), json!(["big", "riscv"])),
            ("acme".to_owned(), json!(["riscv"]))
        ]
    );
    let riscv = &groups[1];
    assert_eq!(
        (
            riscv["jobs_pending"].as_u64(),
            riscv["jobs_running"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(
        (
            riscv["workers_pending"].as_u64(),
            riscv["workers_running"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(riscv["pools"], json!(["cloudv10x-jupiter", "scw-em-rv1"]));
    let oldest = riscv["oldest_pending_seconds"].as_i64().unwrap();
    assert!(
        (595..=660).contains(&oldest),
        "oldest pending waited {oldest} s"
    );
    let ids: Vec<i64> = riscv["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [3, 1, 2], "oldest first");

    let page = app.get("/usage", None).await;
    assert!(page
        .text
        .contains(r#"href="https://github.com/acme/app/runs/1""#));
    assert!(
        !page.text.contains("runs/5"),
        "completed jobs are not shown"
    );
}

#[tokio::test]
async fn pages_escape_what_came_from_payloads() {
    let app = spawn_app().await;
    job(
        &app,
        1,
        "<img src=x onerror=alert(1)>",
        json!(["<b>label</b>"]),
        "pending",
        1,
    )
    .await;
    for path in ["/usage", "/history"] {
        let page = app.get(path, None).await;
        assert!(!page.text.contains("<img src=x"), "{path}");
        assert!(!page.text.contains("<b>label</b>"), "{path}");
        assert!(page.text.contains("&lt;img src=x"), "{path}");
    }
}

fn link(app: &TestApp, query: &str) -> String {
    format!("{}/history.json?{query}", app.address)
}

#[tokio::test]
async fn history_pages_newest_first_with_github_style_links() {
    let app = spawn_app().await;
    for (id, minutes_ago) in [(1, 50), (2, 40), (3, 30), (4, 20), (5, 10)] {
        job(&app, id, "acme", json!(["riscv"]), "completed", minutes_ago).await;
    }
    let first = app.get("/history.json?per_page=2", None).await;
    let body: Value = serde_json::from_str(&first.text).unwrap();
    let ids: Vec<i64> = body["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job_id"].as_i64().unwrap())
        .collect();
    assert_eq!((ids, body["total"].as_u64()), (vec![5, 4], Some(5)));
    assert_eq!(
        first.headers["link"].to_str().unwrap(),
        format!(
            "<{}>; rel=\"next\", <{}>; rel=\"last\"",
            link(&app, "per_page=2&page=1"),
            link(&app, "per_page=2&page=2")
        )
    );
    let middle = app.get("/history.json?per_page=2&page=1", None).await;
    assert_eq!(
        middle.headers["link"].to_str().unwrap(),
        format!(
            "<{}>; rel=\"next\", <{}>; rel=\"last\", <{}>; rel=\"first\", <{}>; rel=\"prev\"",
            link(&app, "per_page=2&page=2"),
            link(&app, "per_page=2&page=2"),
            link(&app, "per_page=2&page=0"),
            link(&app, "per_page=2&page=0")
        )
    );
    let last = app.get("/history.json?per_page=2&page=2", None).await;
    let body: Value = serde_json::from_str(&last.text).unwrap();
    assert_eq!(body["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(
        last.headers["link"].to_str().unwrap(),
        format!(
            "<{}>; rel=\"first\", <{}>; rel=\"prev\"",
            link(&app, "per_page=2&page=0"),
            link(&app, "per_page=2&page=1")
        )
    );
    let html = app.get("/history?per_page=2&page=1", None).await;
    assert!(html.headers.contains_key("link"));
    assert!(html.text.contains("Page 2 of 3"));
}

#[tokio::test]
async fn history_windows_by_day() {
    let app = spawn_app().await;
    job(&app, 1, "acme", json!(["riscv"]), "completed", 3 * 24 * 60).await;
    job(&app, 2, "acme", json!(["riscv"]), "completed", 5).await;
    let recent = app.get_json("/history.json?start=-1d", None).await;
    assert_eq!(recent["total"], 1);
    assert_eq!(recent["jobs"][0]["job_id"], 2);
    let today = chrono::Utc::now().date_naive();
    let old_path = format!("/history.json?end={}", today - chrono::Days::new(2));
    let old = app.get_json(&old_path, None).await;
    assert_eq!(old["total"], 1);
    assert_eq!(old["jobs"][0]["job_id"], 1);
}

#[tokio::test]
async fn an_empty_history_says_so_and_links_nothing() {
    let app = spawn_app().await;
    let page = app.get("/history", None).await;
    assert!(page.text.contains("No jobs in this window."));
    let json = app.get("/history.json", None).await;
    assert_eq!(
        serde_json::from_str::<Value>(&json.text).unwrap(),
        json!({"jobs": [], "page": 0, "per_page": 100, "total": 0})
    );
    assert!(!json.headers.contains_key("link"));
}

#[tokio::test]
async fn bad_history_parameters_are_named() {
    let app = spawn_app().await;
    let cases = [
        (
            "start=yesterday",
            "invalid parameter start, expected YYYY-MM-DD or -Nd (N days ago)",
        ),
        (
            "end=2026-02-30",
            "invalid parameter end, expected YYYY-MM-DD or -Nd (N days ago)",
        ),
        (
            "start=2026-11-20&end=2026-11-01",
            "invalid parameter end, expected a day on or after start",
        ),
        (
            "page=-1",
            "invalid parameter page, expected a page number from 0",
        ),
        (
            "per_page=0",
            "invalid parameter per_page, expected a page size from 1 to the configured maximum",
        ),
        (
            "per_page=5000",
            "invalid parameter per_page, expected a page size from 1 to the configured maximum",
        ),
    ];
    for (query, message) in cases {
        for path in ["/history", "/history.json"] {
            let answer = app.get(&format!("{path}?{query}"), None).await;
            assert_eq!(
                (answer.status, answer.text.as_str()),
                (400, message),
                "{path}?{query}"
            );
        }
    }
}

#[tokio::test]
async fn with_bearer_access_the_pages_need_their_token() {
    use crate::support::app::{spawn_app_with, TRACE_SECRET};
    use ghfe::config::PagesAccessSetting;

    let open = spawn_app().await;
    assert_eq!(open.get("/usage.json", None).await.status, 200);
    let own = spawn_app_with(|s| {
        s.pages.access = PagesAccessSetting::Bearer;
        s.pages.token = Some("pages-token".into());
    })
    .await;
    for path in [
        "/usage",
        "/usage.json",
        "/history",
        "/history.json",
        "/stats",
        "/stats.json",
    ] {
        let refused = own.get(path, None).await;
        assert_eq!(
            (refused.status, refused.text.as_str()),
            (401, "Unauthorized"),
            "{path}"
        );
        assert_eq!(
            own.get(path, Some(TRACE_SECRET)).await.status,
            401,
            "{path}"
        );
        assert_eq!(
            own.get(path, Some("pages-token")).await.status,
            200,
            "{path}"
        );
        let basic = own
            .http
            .get(format!("{}{path}", own.address))
            .basic_auth("me", Some("pages-token"));
        assert_eq!(basic.send().await.unwrap().status(), 200, "{path}");
    }
    let shared = spawn_app_with(|s| s.pages.access = PagesAccessSetting::Bearer).await;
    assert_eq!(
        shared.get("/usage.json", Some(TRACE_SECRET)).await.status,
        200
    );
    assert_eq!(shared.get("/usage.json", Some("wrong")).await.status, 401);
}

#[test]
fn bearer_access_without_any_token_is_a_configuration_error() {
    use crate::support::binary::{ghfe, stderr};
    let output = ghfe(
        &["check-config"],
        &[("GHFE_ENV", "test"), ("GHFE__PAGES__ACCESS", "bearer")],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("pages.access: bearer needs pages.token or trace.secret"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn usage_shows_fleet_totals_pods_failures_and_jobs_no_rule_matched() {
    use crate::support::fixtures::{body, job as job_payload};

    let app = spawn_app().await;
    job(&app, 71, "acme", json!(["riscv"]), "pending", 45).await;
    worker(
        &app,
        "pod-ok",
        "acme",
        json!(["riscv"]),
        "scw-em-rv1",
        "running",
    )
    .await;
    app.db
        .execute(
            "INSERT INTO workers (pod_name, entity_id, entity_name, entity_type, job_labels, k8s_pool, k8s_node, status, failure_info) \
             VALUES ('pod-bad', 4, 'acme', 'Organization', '[\"riscv\"]', 'scw-em-rv1', 'node-7', 'failed', $1)",
            &[&json!({"reason": "ImagePullBackOff", "message": "<script>alert(1)</script>"})],
        )
        .await
        .unwrap();
    let typo = app
        .deliver(
            "workflow_job",
            body(&job_payload(
                "workflow_job.queued.json",
                72,
                &["ubuntu-24.04-riscvv"],
            )),
        )
        .await;
    assert_eq!(typo.status, 200);

    let usage = app.get_json("/usage.json", None).await;
    assert_eq!(usage["totals"]["jobs_pending"], 1);
    assert_eq!(usage["totals"]["pods_running"], 1);
    assert_eq!(usage["totals"]["pods_failed"], 1);
    assert!(usage["totals"]["oldest_pending_seconds"].as_i64() >= Some(45 * 60));
    let workers = &usage["groups"][0]["workers"];
    assert_eq!(workers[0]["pod_name"], "pod-ok");
    assert_eq!(workers[1]["node"], "node-7");
    assert_eq!(
        workers[1]["failure"],
        "message: <script>alert(1)</script>; reason: ImagePullBackOff"
    );
    assert_eq!(usage["ignored"][0]["job_id"], 72);
    assert_eq!(
        usage["ignored"][0]["labels"],
        json!(["ubuntu-24.04-riscvv"])
    );

    let page = app.get("/usage", None).await.text;
    assert!(page.contains("pods failed (24 h)"), "{page}");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;")
            || page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert(1)"), "unescaped");
    assert!(page.contains("<code>ubuntu-24.04-riscvv</code>"), "{page}");
    assert!(!page.contains("http-equiv=\"refresh\""));
}

#[tokio::test]
async fn usage_reloads_itself_when_asked_within_bounds() {
    let app = spawn_app().await;
    let page = app.get("/usage?refresh=30", None).await;
    assert_eq!(page.status, 200);
    assert!(
        page.text
            .contains(r#"<meta http-equiv="refresh" content="30">"#),
        "{}",
        page.text
    );
    for bad in ["2", "abc", "99999", ""] {
        let refused = app.get(&format!("/usage?refresh={bad}"), None).await;
        assert_eq!(
            (refused.status, refused.text.as_str()),
            (
                400,
                "invalid parameter refresh, expected seconds from 5 to 3600"
            ),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn an_empty_fleet_says_so() {
    let app = spawn_app().await;
    let page = app.get("/usage", None).await.text;
    assert!(page.contains("No active jobs or workers."), "{page}");
    assert!(
        page.contains("None: every job delivery found a routing rule."),
        "{page}"
    );
    let usage = app.get_json("/usage.json", None).await;
    assert_eq!(usage["totals"]["jobs_pending"], 0);
    assert_eq!(usage["ignored"], json!([]));
}

#[tokio::test]
async fn history_filters_narrow_and_durations_are_shown() {
    let app = spawn_app().await;
    job(&app, 81, "acme", json!(["riscv"]), "completed", 30).await;
    job(&app, 82, "acme", json!(["riscv"]), "running", 20).await;
    job(&app, 83, "zeta", json!(["riscv"]), "completed", 10).await;
    app.db
        .batch_execute(
            "UPDATE jobs SET job_conclusion = 'success', job_created_at = created_at, \
                 job_started_at = created_at + interval '90 seconds', \
                 job_completed_at = created_at + interval '10 minutes' WHERE job_id = 81; \
             UPDATE jobs SET job_conclusion = 'failure' WHERE job_id = 83; \
             UPDATE jobs SET k8s_pool = 'cloudv10x-jupiter' WHERE job_id = 82",
        )
        .await
        .unwrap();
    let ids = |page: Value| -> Vec<i64> {
        page["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["job_id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        ids(app.get_json("/history.json?account=acme", None).await),
        [82, 81]
    );
    assert_eq!(
        ids(app
            .get_json("/history.json?repository=zeta/app", None)
            .await),
        [83]
    );
    assert_eq!(
        ids(app
            .get_json("/history.json?pool=cloudv10x-jupiter", None)
            .await),
        [82]
    );
    assert_eq!(
        ids(app.get_json("/history.json?status=completed", None).await),
        [83, 81]
    );
    assert_eq!(
        ids(app
            .get_json("/history.json?status=completed&conclusion=success", None)
            .await),
        [81]
    );
    let page = app
        .get_json("/history.json?account=acme&status=completed", None)
        .await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["jobs"][0]["queue_seconds"], 90);
    assert_eq!(page["jobs"][0]["run_seconds"], 510);
    let html = app.get("/history?account=acme", None).await.text;
    assert!(html.contains(r#"name="account" value="acme""#), "{html}");
    assert!(html.contains("<th>Queued</th>"), "{html}");
    let bad = app.get("/history.json?status=done", None).await;
    assert_eq!(
        (bad.status, bad.text.as_str()),
        (
            400,
            "invalid parameter status, expected pending, running, completed or failed"
        )
    );
}

#[tokio::test]
async fn a_pod_shows_the_job_it_serves_and_only_web_urls_are_links() {
    let app = spawn_app().await;
    job(&app, 1, "acme", json!(["riscv"]), "running", 5).await;
    job(&app, 2, "acme", json!(["riscv"]), "running", 4).await;
    app.db
        .batch_execute(
            "UPDATE jobs SET k8s_pod = 'pod-' || job_id; \
             UPDATE jobs SET html_url = 'javascript:alert(1)' WHERE job_id = 2",
        )
        .await
        .unwrap();
    for (pod, status) in [
        ("pod-1", "running"),
        ("pod-2", "running"),
        ("pod-3", "pending"),
    ] {
        worker(&app, pod, "acme", json!(["riscv"]), "scw-em-rv1", status).await;
    }
    let usage = app.get_json("/usage.json", None).await;
    let workers = &usage["groups"][0]["workers"];
    let served: Vec<(&str, &Value)> = workers
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["pod_name"].as_str().unwrap(), &w["job_id"]))
        .collect();
    assert_eq!(
        served,
        [
            ("pod-1", &json!(1)),
            ("pod-2", &json!(2)),
            ("pod-3", &Value::Null)
        ]
    );
    for path in ["/usage", "/history"] {
        let page = app.get(path, None).await;
        assert!(
            page.text.contains("https://github.com/acme/app/runs/1"),
            "{path}"
        );
        assert!(!page.text.contains("javascript:"), "{path}: {}", page.text);
    }
}
