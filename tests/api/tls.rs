//! TLS to PostgreSQL with libpq's `sslmode` meanings. The test cluster
//! serves TLS with a certificate from a local CA (GHFE_TEST_TLS_DIR).

use crate::support::app::{self, TestApp};
use crate::support::{db, fixtures};

fn tls_file(name: &str) -> String {
    let dir = std::env::var("GHFE_TEST_TLS_DIR")
        .unwrap_or_else(|_| panic!("GHFE_TEST_TLS_DIR is not set: run the suite with `make test`"));
    format!("{dir}/{name}")
}

/// ghfe on a fresh database reached with `query` appended to its URL.
async fn spawn_with_query(query: &str) -> TestApp {
    let url = db::fresh_database().await;
    app::spawn(app::settings(&format!("{url}{query}")), url).await
}

/// How many of ghfe's connections to its database are encrypted, and how
/// many are not.
async fn sessions(app: &TestApp) -> (i64, i64) {
    let row = app
        .db
        .query_one(
            "SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl) \
             FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

#[tokio::test]
async fn without_sslmode_ghfe_encrypts_when_the_server_offers_it() {
    let app = spawn_with_query("").await;
    assert_eq!(
        app.deliver("ping", fixtures::bytes("ping.json"))
            .await
            .status,
        200
    );
    let (encrypted, plain) = sessions(&app).await;
    assert!(
        encrypted >= 1 && plain == 0,
        "{encrypted} encrypted, {plain} plain"
    );
}

#[tokio::test]
async fn sslmode_disable_connects_in_the_clear() {
    let app = spawn_with_query("?sslmode=disable").await;
    assert_eq!(
        app.deliver("ping", fixtures::bytes("ping.json"))
            .await
            .status,
        200
    );
    let (encrypted, plain) = sessions(&app).await;
    assert!(
        encrypted == 0 && plain >= 1,
        "{encrypted} encrypted, {plain} plain"
    );
}

#[tokio::test]
async fn sslmode_require_encrypts_without_checking_the_certificate() {
    let app = spawn_with_query("?sslmode=require").await;
    assert_eq!(app.get("/ready", None).await.status, 200);
}

#[tokio::test]
async fn sslmode_verify_full_trusts_the_given_root() {
    let app = spawn_with_query(&format!(
        "?sslmode=verify-full&sslrootcert={}",
        tls_file("ca.crt")
    ))
    .await;
    assert_eq!(app.get("/ready", None).await.status, 200);
    assert_eq!(
        app.deliver("ping", fixtures::bytes("ping.json"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn sslmode_verify_full_refuses_a_certificate_from_another_ca() {
    let app = spawn_with_query(&format!(
        "?sslmode=verify-full&sslrootcert={}",
        tls_file("other-ca.crt")
    ))
    .await;
    assert_eq!(app.get("/ready", None).await.status, 503);
    assert_eq!(
        app.deliver("ping", fixtures::bytes("ping.json"))
            .await
            .status,
        503
    );
    assert_eq!(app.rows_written().await, 0);
}
