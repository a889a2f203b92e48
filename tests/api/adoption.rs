//! `ghfe migrate` on the predecessor's databases: each generation's schema,
//! created from its own DDL with rows written the way it wrote them, is
//! adopted without losing a row; then every delivery is stored and the
//! predecessor's scheduler keeps working, on an adopted database and on one
//! ghfe created.

use ghfe::adapters::postgres::{migrate, Direction};

use crate::support::app::{self, FIXTURE_POOL};
use crate::support::db::{self, SCHEMA};
use crate::support::fixtures::{body, job, json};
use crate::support::scheduler;

const GENERATIONS: [&str; 3] = [
    "first-ensure-schema.sql",
    "events-ensure-schema.sql",
    "documented-ddl.sql",
];

/// A database holding one predecessor generation's schema and rows.
async fn predecessor_database(generation: &str) -> String {
    let url = db::empty_database().await;
    let client = db::connect(&url).await;
    let ddl = std::fs::read_to_string(format!(
        "{}/tests/fixtures/predecessor/{generation}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    client
        .batch_execute(&format!(
            "CREATE SCHEMA {SCHEMA}; SET search_path TO {SCHEMA}; {ddl}"
        ))
        .await
        .unwrap_or_else(|e| panic!("{generation}: {e}"));
    url
}

/// Every row of the predecessor's tables, as text.
async fn rows(db: &tokio_postgres::Client) -> Vec<String> {
    let mut all = Vec::new();
    for (table, columns) in [
        ("jobs", "job_id, status::text, entity_id, entity_name, entity_type::text, repo_full_name, installation_id, job_labels::text, k8s_pool, k8s_image, html_url, created_at"),
        ("workers", "pod_name, entity_id, entity_name, job_labels::text, k8s_pool, k8s_image, status::text"),
    ] {
        let sql = format!("SELECT concat_ws('|', {columns}) FROM {table} ORDER BY 1");
        all.extend(db.query(&sql, &[]).await.unwrap().iter().map(|r| r.get::<_, String>(0)));
    }
    let events = "SELECT concat_ws('|', id, source, event, outcome, entity_type::text, entity_id, payload::text) \
                  FROM installation_events ORDER BY id";
    if let Ok(found) = db.query(events, &[]).await {
        all.extend(found.iter().map(|r| r.get::<_, String>(0)));
    }
    all
}

/// The first column of `sql`'s rows, as strings.
async fn strings(db: &tokio_postgres::Client, sql: &str) -> Vec<String> {
    db.query(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Index definitions of ghfe's tables, names left out, sorted.
async fn index_shapes(db: &tokio_postgres::Client) -> Vec<String> {
    strings(
        db,
        "SELECT regexp_replace(indexdef, 'INDEX \\S+ ON', 'INDEX ON') FROM pg_indexes \
         WHERE schemaname = current_schema() ORDER BY 1",
    )
    .await
}

#[tokio::test]
async fn every_predecessor_generation_is_adopted_with_every_row_kept() {
    for generation in GENERATIONS {
        let url = predecessor_database(generation).await;
        let client = db::connect(&url).await;
        let before = rows(&client).await;
        migrate(&db::options(&url), Direction::Up)
            .await
            .unwrap_or_else(|e| panic!("{generation}: {e}"));
        let after = rows(&client).await;
        assert_eq!(
            after[..before.len()],
            before[..],
            "{generation}: rows changed"
        );
        let types = strings(
            &client,
            "SELECT table_name || '.' || data_type FROM information_schema.columns \
             WHERE table_schema = current_schema() AND column_name = 'entity_type' ORDER BY 1",
        )
        .await;
        assert_eq!(
            types,
            ["installation_events.text", "jobs.text", "workers.text"],
            "{generation}"
        );
        let shapes = index_shapes(&client).await;
        let mut unique = shapes.clone();
        unique.dedup();
        assert_eq!(shapes, unique, "{generation}: an index exists twice");
        for name in [
            "idx_jobs_active",
            "idx_jobs_reconcile",
            "idx_jobs_created",
            "idx_workers_active",
        ] {
            let found: i64 = client
                .query_one("SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1", &[&name])
                .await
                .unwrap()
                .get(0);
            assert_eq!(found, 1, "{generation}: {name}");
        }
    }
}

#[tokio::test]
async fn an_adopted_database_stores_every_delivery_and_serves_the_scheduler() {
    for generation in GENERATIONS {
        let url = predecessor_database(generation).await;
        migrate(&db::options(&url), Direction::Up).await.unwrap();
        let mut app = app::spawn(app::settings(&url), url.clone()).await;
        assert_eq!(app.get("/ready", None).await.status, 200, "{generation}");

        // A new job, and the predecessor's own jobs going on through ghfe.
        for (fixture, id, expected) in [
            ("workflow_job.queued.json", 8001, "Job 8001 stored."),
            (
                "workflow_job.in_progress.json",
                7001,
                "Job 7001 marked running (was pending).",
            ),
            (
                "workflow_job.completed.success.with-organization.json",
                7002,
                "Job 7002 completed (was running).",
            ),
        ] {
            let answer = app
                .deliver("workflow_job", body(&job(fixture, id, &["ubuntu-latest"])))
                .await;
            assert_eq!(
                (answer.status, answer.text.as_str()),
                (200, expected),
                "{generation}"
            );
        }
        for (event, fixture) in [
            ("ping", "ping.json"),
            ("installation", "installation.created.json"),
        ] {
            let answer = app.deliver(event, body(&json(fixture))).await;
            assert_eq!(answer.status, 200, "{generation} {event}: {}", answer.text);
        }
        let pool: String = app
            .db
            .query_one("SELECT k8s_pool FROM jobs WHERE job_id = 8001", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(pool, FIXTURE_POOL);

        let (_, _, events_before) = scheduler::reads(&app.db).await.unwrap();
        let prev = scheduler::iteration(&mut app.db, 8001)
            .await
            .unwrap_or_else(|e| panic!("{generation}: the scheduler's iteration failed: {e}"));
        assert_eq!(prev.as_deref(), Some("pending"), "{generation}");
        let (active, demand, events) = scheduler::reads(&app.db).await.unwrap();
        assert!(
            active.iter().any(|row| row[0].as_deref() == Some("7001")),
            "{generation}"
        );
        assert_eq!(
            demand, 1,
            "{generation}: job 7001 is running for entity 4242"
        );
        assert_eq!(
            events,
            events_before + 1,
            "{generation}: the scheduler's event row"
        );
    }
}

#[tokio::test]
async fn the_scheduler_runs_its_iteration_on_a_database_ghfe_created() {
    let mut app = app::spawn_app().await;
    let queued = app
        .deliver(
            "workflow_job",
            body(&job("workflow_job.queued.json", 8001, &["ubuntu-latest"])),
        )
        .await;
    assert_eq!(queued.status, 200);
    let prev = scheduler::iteration(&mut app.db, 8001)
        .await
        .expect("entity_type_enum exists for the scheduler's cast");
    assert_eq!(prev.as_deref(), Some("pending"));
    assert_eq!(app.job_status(8001).await.as_deref(), Some("failed"));
    let (active, _, events) = scheduler::reads(&app.db).await.unwrap();
    assert!(active.is_empty());
    assert_eq!(events, 1, "the scheduler's own event row");
}

#[tokio::test]
async fn indexes_an_earlier_ghfe_made_are_kept_once_under_the_predecessor_names() {
    let url = db::fresh_database().await;
    let client = db::connect(&url).await;
    // As an earlier ghfe left them: its own names, and on an adopted
    // database a second copy beside the predecessor's.
    client
        .batch_execute(
            "ALTER INDEX idx_jobs_created RENAME TO jobs_created_at_idx; \
             ALTER INDEX idx_jobs_active RENAME TO jobs_active_demand_idx; \
             CREATE INDEX idx_jobs_active ON jobs (entity_id, job_labels, created_at) \
                 WHERE status <> 'completed'",
        )
        .await
        .unwrap();
    let options = db::options(&url);
    // Back to before the adoption migration, and up again.
    loop {
        let reverted = migrate(&options, Direction::RevertLast).await.unwrap();
        let digits = |v: &String| v.replace('-', "").starts_with("20261203000001");
        assert!(!reverted.is_empty(), "the adoption migration was reverted");
        if reverted.iter().any(digits) {
            break;
        }
    }
    migrate(&options, Direction::Up).await.unwrap();
    let names = strings(
        &client,
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() \
         AND tablename = 'jobs' ORDER BY 1",
    )
    .await;
    assert_eq!(
        names,
        [
            "idx_jobs_active",
            "idx_jobs_completed_age",
            "idx_jobs_created",
            "idx_jobs_reconcile",
            "jobs_pkey"
        ]
    );
}
