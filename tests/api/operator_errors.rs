//! An operator's first hour: a wrong connection string says what was tried
//! and what the server answered; an unmigrated database says so; unknown
//! and mistyped settings are all listed; the predecessor's spellings of
//! `PROD` and `LOGLEVEL` mean what they meant; output into a closed pipe
//! ends quietly.

use std::io::Read;
use std::process::Stdio;

use crate::support::app::{self, spawn};
use crate::support::binary::{command, ghfe, stderr};
use crate::support::db::{self, url_for};

fn migrate_with(url: &str) -> String {
    let output = ghfe(&["migrate"], &[("PROD", "false"), ("POSTGRES_URL", url)]);
    assert!(!output.status.success());
    stderr(&output)
}

#[test]
fn a_wrong_connection_string_names_the_server_and_its_answer() {
    let admin = std::env::var("GHFE_TEST_DATABASE_URL").unwrap();
    let port = db::port_of(&admin);
    let refused = migrate_with("postgres://postgres:s3cret@127.0.0.1:1/ghfe");
    assert!(refused.contains("127.0.0.1:1"), "{refused}");
    assert!(refused.contains("database \"ghfe\""), "{refused}");
    assert!(
        refused.to_lowercase().contains("connection refused"),
        "{refused}"
    );
    let no_role = migrate_with(&format!("postgres://bob:s3cret@127.0.0.1:{port}/ghfe"));
    assert!(no_role.contains(&format!("127.0.0.1:{port}")), "{no_role}");
    assert!(no_role.contains("role \"bob\" does not exist"), "{no_role}");
    let no_database = migrate_with(&url_for(&admin, "no_such_database"));
    assert!(
        no_database.contains("database \"no_such_database\" does not exist"),
        "{no_database}"
    );
    for message in [refused, no_role, no_database] {
        assert!(!message.contains("s3cret"), "{message}");
    }
}

#[tokio::test]
async fn a_database_never_migrated_is_not_ready_and_says_what_to_do() {
    let url = db::empty_database().await;
    let app = spawn(app::settings(&url), url.clone()).await;
    let ready = app.get("/ready", None).await;
    assert_eq!(ready.status, 503);
    assert!(
        ready
            .text
            .contains("database schema is at nothing (never migrated), this ghfe needs 2026"),
        "{}",
        ready.text
    );
    assert!(ready.text.ends_with("run ghfe migrate"), "{}", ready.text);
    let delivery = app.deliver("ping", r#"{"zen":"z","hook_id":1}"#).await;
    assert_eq!(delivery.status, 503, "nothing can be stored yet");
}

#[test]
fn unknown_keys_and_every_mistyped_value_are_listed_together() {
    let dir = std::env::temp_dir().join(format!("ghfe-config-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("development.yaml"),
        "databse:\n  pool_size: 4\nserver:\n  port: eighty\n  prot: 80\n",
    )
    .unwrap();
    let output = ghfe(
        &["check-config"],
        &[
            ("GHFE_CONFIG_DIR", dir.to_str().unwrap()),
            ("GHFE__DATABSE__POOL_SIZE", "32"),
            ("GHFE__DATABASE__POOL_SIZE", "many"),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    for expected in [
        "server.port: ",
        "database.pool_size: ",
        "unknown setting databse.pool_size (from GHFE__DATABSE__POOL_SIZE)",
        "unknown setting server.prot (in ",
    ] {
        assert!(message.contains(expected), "{expected:?} in {message}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_predecessor_spellings_of_prod_and_loglevel_keep_their_meaning() {
    let key =
        String::from_utf8(crate::support::fixtures::bytes("app-private-key.pkcs1.pem")).unwrap();
    let production = [
        ("PROD", "TRUE"),
        ("POSTGRES_URL", "postgres://u@localhost/d"),
        ("GHAPP_WEBHOOK_SECRET", "s"),
        ("GHAPP_ORG_PRIVATE_KEY", key.as_str()),
        ("GHAPP_PERSONAL_PRIVATE_KEY", key.as_str()),
        ("LOGLEVEL", "WARNING"),
    ];
    let output = ghfe(&["check-config"], &production);
    assert!(output.status.success(), "{}", stderr(&output));
    let settings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(settings["environment"], "production");
    assert_eq!(settings["log"]["level"], "warn");
    let critical = ghfe(&["check-config"], &[("LOGLEVEL", "Critical")]);
    let settings: serde_json::Value = serde_json::from_slice(&critical.stdout).unwrap();
    assert_eq!(settings["log"]["level"], "error");
}

#[test]
fn a_closed_standard_output_ends_quietly() {
    let mut child = command(&["check-config"], &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Like `| head`: the reader is gone before ghfe writes.
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut errors = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut errors)
        .unwrap();
    assert!(!errors.contains("panicked"), "{errors}");
    assert_eq!(status.code(), Some(0), "{errors}");
}

#[tokio::test]
async fn client_mistakes_are_not_logged_as_errors() {
    let url = db::fresh_database().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let log = std::env::temp_dir().join(format!("ghfe-mistakes-{port}.log"));
    let mut server = command(
        &["serve"],
        &[
            ("PROD", "false"),
            ("POSTGRES_URL", url.as_str()),
            ("GHAPP_WEBHOOK_SECRET", "s"),
            ("PORT", &port),
            ("LOGLEVEL", "INFO"),
        ],
    )
    .stdout(Stdio::null())
    .stderr(std::fs::File::create(&log).unwrap())
    .spawn()
    .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if reqwest::get(format!("{base}/health")).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let head_too_large = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let uri_too_long = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "u".repeat(64 * 1024));
    for request in [
        head_too_large,
        uri_too_long,
        "NOT HTTP AT ALL\r\n\r\n".to_owned(),
    ] {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
            .await
            .unwrap();
        drop(stream.write_all(request.as_bytes()).await);
        let mut answer = Vec::new();
        drop(stream.read_to_end(&mut answer).await);
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    drop(server.kill());
    drop(server.wait());
    let written = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    assert!(!written.contains("\"level\":\"ERROR\""), "{written}");
    assert!(
        written.contains("requests refused by the HTTP server"),
        "{written}"
    );
}
