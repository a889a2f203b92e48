//! One fresh database per test, cloned from a migrated template in the
//! throwaway cluster that `make test` starts (GHFE_TEST_DATABASE_URL).

use std::time::Duration;

use ghfe::adapters::postgres::{migrate, Direction, PgOptions};
use sha2::{Digest, Sha256};
use tokio_postgres::{Client, NoTls};

/// The schema the tests' settings use (the default outside production).
pub const SCHEMA: &str = "staging";

/// Serialises template creation across test processes.
const TEMPLATE_LOCK: i64 = 0x6768_6665;

fn admin_url() -> String {
    std::env::var("GHFE_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!("GHFE_TEST_DATABASE_URL is not set: run the suite with `make test`, which starts a throwaway PostgreSQL")
    })
}

/// `url` with its database replaced by `database`.
pub fn url_for(url: &str, database: &str) -> String {
    let (server, _) = url.rsplit_once('/').expect("a URL ending in /<database>");
    format!("{server}/{database}")
}

/// Store options for `url` as the tests use them.
pub fn options(url: &str) -> PgOptions {
    PgOptions {
        url: url.to_owned(),
        schema: SCHEMA.to_owned(),
        pool_size: 8,
        connect_timeout: Duration::from_secs(2),
        acquire_timeout: Duration::from_secs(2),
        statement_timeout: Duration::from_secs(8),
        notify_interval: Duration::from_millis(5),
        batch_max: 64,
    }
}

/// A template named after the migrations' content, so a changed
/// migration gets a new template.
fn template_name() -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
    let mut files: Vec<_> = walk(std::path::Path::new(dir));
    files.sort();
    let mut hash = Sha256::new();
    for file in files {
        hash.update(file.to_string_lossy().as_bytes());
        hash.update(std::fs::read(&file).expect("readable migration"));
    }
    format!("ghfe_template_{}", &hex::encode(hash.finalize())[..12])
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .expect("migrations directory")
        .flat_map(|entry| {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

/// A client on `url` with the test schema on its search path.
pub async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .expect("test database reachable");
    tokio::spawn(connection);
    client
        .batch_execute(&format!("SET search_path TO {SCHEMA}"))
        .await
        .expect("search_path");
    client
}

/// Creates an empty, migrated database and returns its URL.
pub async fn fresh_database() -> String {
    let admin = admin_url();
    let client = connect(&admin).await;
    let template = template_name();
    client
        .execute("SELECT pg_advisory_lock($1)", &[&TEMPLATE_LOCK])
        .await
        .expect("lock");
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&template])
        .await
        .expect("pg_database")
        .is_some();
    if !exists {
        // Built under another name and renamed once complete, so a crash
        // never leaves a half-migrated template behind.
        let building = format!("{template}_building");
        for statement in [
            format!("DROP DATABASE IF EXISTS {building}"),
            format!("CREATE DATABASE {building}"),
        ] {
            client
                .batch_execute(&statement)
                .await
                .expect("create template");
        }
        migrate(&options(&url_for(&admin, &building)), Direction::Up)
            .await
            .expect("migrate template");
        client
            .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}"))
            .await
            .expect("rename");
    }
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&TEMPLATE_LOCK])
        .await
        .expect("unlock");
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .await
        .expect("create test database");
    url_for(&admin, &name)
}

/// Creates a database with nothing of ghfe in it and returns its URL.
pub async fn empty_database() -> String {
    let admin = admin_url();
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    connect(&admin)
        .await
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create empty database");
    url_for(&admin, &name)
}

/// The port of a `postgres://user@host:port/db` URL.
pub fn port_of(url: &str) -> u16 {
    super::proxy::address_of(url).port()
}
