//! The `ghfe` binary as an operator runs it: configuration errors, masked
//! output, the predecessor's variables, routes, migrations, and a staging
//! deployment started with exactly the predecessor's environment.

use std::collections::HashMap;
use std::ops::Range;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use crate::support::app::Post;
use crate::support::binary::{command, ghfe, stderr, stdout};
use crate::support::db;
use crate::support::fixtures::{self, set};

/// The test App key (PKCS#1 PEM).
fn test_key() -> String {
    String::from_utf8(fixtures::bytes("app-private-key.pkcs1.pem")).unwrap()
}

fn effective(vars: &[(&str, &str)]) -> serde_json::Value {
    let output = ghfe(&["check-config"], vars);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("check-config prints JSON")
}

#[test]
fn invalid_configuration_lists_every_problem_and_exits_2() {
    let output = ghfe(
        &["check-config"],
        &[
            ("GHFE_ENV", "production"),
            ("GHFE__DATABASE__SCHEMA", "Bad-Name"),
            ("GHFE__DATABASE__POOL_SIZE", "0"),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let errors = stderr(&output);
    for problem in [
        "database.schema \"Bad-Name\"",
        "database.pool_size must be at least 1",
        "production needs a webhook secret",
        "production needs database.url",
        "production needs github.apps.org.private_key (GHAPP_ORG_PRIVATE_KEY)",
        "production needs github.apps.personal.private_key (GHAPP_PERSONAL_PRIVATE_KEY)",
    ] {
        assert!(
            errors.contains(problem),
            "missing {problem:?} in:\n{errors}"
        );
    }
}

#[test]
fn an_unusable_private_key_is_a_configuration_error() {
    let output = ghfe(
        &["check-config"],
        &[(
            "GHAPP_PERSONAL_PRIVATE_KEY",
            "-----BEGIN RSA PRIVATE KEY-----\nnope\n",
        )],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("github.apps.personal.private_key: not an RSA private key in PEM"),
        "{}",
        stderr(&output)
    );
    let pkcs8 = String::from_utf8(fixtures::bytes("app-private-key.pkcs8.pem")).unwrap();
    assert!(
        ghfe(&["check-config"], &[("GHAPP_PERSONAL_PRIVATE_KEY", &pkcs8)])
            .status
            .success(),
        "PKCS#8 is accepted"
    );
}

#[test]
fn an_unknown_environment_or_malformed_value_exits_2() {
    assert_eq!(
        ghfe(&["check-config"], &[("GHFE_ENV", "prod")])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        ghfe(&["check-config"], &[("PORT", "eighty")]).status.code(),
        Some(2)
    );
    assert_eq!(
        ghfe(&["check-config"], &[("POSTGRES_URL", "mysql://x")])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        ghfe(&["serve"], &[("GHFE_ENV", "test")]).status.code(),
        Some(2),
        "serve needs a database"
    );
}

#[test]
fn check_config_never_prints_a_secret() {
    let output = ghfe(
        &["check-config"],
        &[
            ("GHAPP_WEBHOOK_SECRET", "hook-s3cret,older-s3cret"),
            ("TRACE_API_SECRET", "trace-s3cret"),
            (
                "POSTGRES_URL",
                "postgres://ghfe:db-s3cret@db.example:5432/ghfe",
            ),
            ("GHAPP_ORG_PRIVATE_KEY", &test_key()),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
    assert!(!printed.contains("s3cret"), "{printed}");
    let key_line = test_key().lines().nth(1).unwrap().to_owned();
    assert!(!printed.contains(&key_line), "{printed}");
    let settings: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(
        settings["webhook"]["secrets"],
        json!(["********", "********"])
    );
    assert_eq!(
        settings["database"]["url"],
        "postgres://ghfe:********@db.example:5432/ghfe"
    );
    assert_eq!(settings["github"]["apps"]["org"]["private_key"], "********");
    assert_eq!(
        settings["github"]["apps"]["personal"]["private_key"],
        serde_json::Value::Null
    );
}

#[test]
fn the_predecessor_variables_are_honoured_and_ghfe_variables_win() {
    let settings = effective(&[
        ("PROD", "false"),
        ("PORT", "9999"),
        ("LOGLEVEL", "DEBUG"),
        ("STAGING_URL", "http://s"),
    ]);
    assert_eq!(settings["environment"], "staging");
    assert_eq!(settings["server"]["port"], 9999);
    assert_eq!(settings["log"]["level"], "debug");
    assert_eq!(settings["staging"]["url"], "http://s");
    let settings = effective(&[("PORT", "9999"), ("GHFE__SERVER__PORT", "7000")]);
    assert_eq!(settings["server"]["port"], 7000);
    assert_eq!(settings["environment"], "development");
    let production = effective(&[
        ("PROD", "true"),
        ("GHAPP_WEBHOOK_SECRET", "s"),
        ("POSTGRES_URL", "postgres://db/ghfe"),
        ("GHAPP_ORG_PRIVATE_KEY", &test_key()),
        ("GHAPP_PERSONAL_PRIVATE_KEY", &test_key()),
    ]);
    assert_eq!(production["environment"], "production");
}

#[test]
fn routes_prints_the_decision_and_the_rule() {
    let ggml = ghfe(
        &[
            "routes",
            "--owner-id",
            "1",
            "--repo",
            "ggml-org/llama.cpp",
            "Ubuntu-24.04-RISCV",
        ],
        &[("GHFE_ENV", "staging")],
    );
    assert!(ggml.status.success());
    assert_eq!(
        stdout(&ggml).trim(),
        "routed by rule \"ggml\": pool cloudv10x-jupiter, image rg.fr-par.scw.cloud/funcscwriseriscvrunnerappqdvknz9s/riscv-runner:ubuntu-24.04-staging, priority 0"
    );
    let confined = ghfe(
        &[
            "routes",
            "--owner-id",
            "1",
            "--repo",
            "ggml-org/x",
            "ubuntu-latest",
        ],
        &[("GHFE_ENV", "staging")],
    );
    assert_eq!(confined.status.code(), Some(1));
    assert!(stdout(&confined).contains("inside exclusive scope \"ggml\""));
}

#[tokio::test]
async fn migrations_revert_and_reapply() {
    let url = db::fresh_database().await;
    let vars = [("GHFE_ENV", "staging"), ("POSTGRES_URL", url.as_str())];
    let tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'staging' AND tablename IN \
                  ('jobs', 'workers', 'installation_events', 'workflow_runs')";
    let client = db::connect(&url).await;
    assert_eq!(
        client
            .query_one(tables, &[])
            .await
            .unwrap()
            .get::<_, i64>(0),
        4
    );
    let reverted = ghfe(&["migrate", "--revert-all"], &vars);
    assert!(reverted.status.success(), "{}", stderr(&reverted));
    assert!(stdout(&reverted).contains("reverted"));
    assert_eq!(
        client
            .query_one(tables, &[])
            .await
            .unwrap()
            .get::<_, i64>(0),
        0
    );
    let applied = ghfe(&["migrate"], &vars);
    assert!(stdout(&applied).contains("applied"), "{}", stderr(&applied));
    assert_eq!(
        client
            .query_one(tables, &[])
            .await
            .unwrap()
            .get::<_, i64>(0),
        4
    );
    assert!(stdout(&ghfe(&["migrate"], &vars)).contains("up to date"));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `ghfe serve` and waits until `/ready` answers 200.
async fn serve(vars: &[(&str, &str)], base: &str) -> Child {
    let mut server = command(&["serve"], vars)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if reqwest::get(format!("{base}/ready"))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(server.kill());
    drop(server.wait());
    panic!("ghfe serve did not become ready");
}

/// Posts one signed queued delivery per id, concurrently; each task yields
/// the id and the status answered, if any.
fn in_flight(
    base: &str,
    document: &Value,
    secret: &str,
    ids: Range<i64>,
) -> Vec<JoinHandle<(i64, Option<u16>)>> {
    let http = reqwest::Client::new();
    ids.map(|id| {
        let post = Post::new(
            "workflow_job",
            fixtures::body(&set(document.clone(), "workflow_job.id", json!(id))),
        )
        .signed_with(secret);
        let request = http
            .post(format!("{base}/"))
            .header("X-GitHub-Event", "workflow_job")
            .header("X-Hub-Signature-256", post.signature.unwrap())
            .header("X-GitHub-Hook-Installation-Target-Id", "1")
            .body(post.body);
        tokio::spawn(async move { (id, request.send().await.map(|r| r.status().as_u16()).ok()) })
    })
    .collect()
}

/// The operator's replacement: `PROD=false POSTGRES_URL=… GHAPP_WEBHOOK_SECRET=…
/// PORT=…`, `ghfe migrate`, `ghfe serve`; deliveries in flight at SIGTERM
/// are either answered with their rows stored or not answered at all.
#[tokio::test]
async fn the_predecessor_environment_runs_a_staging_deployment() {
    let url = db::fresh_database().await;
    let client = db::connect(&url).await;
    client
        .batch_execute("DROP SCHEMA staging CASCADE")
        .await
        .unwrap();
    let port = free_port().to_string();
    let vars = [
        ("PROD", "false"),
        ("POSTGRES_URL", url.as_str()),
        ("GHAPP_WEBHOOK_SECRET", "operator-secret"),
        ("PORT", &port),
    ];
    let migrated = ghfe(&["migrate"], &vars);
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    let base = format!("http://127.0.0.1:{port}");
    let server = serve(&vars, &base).await;

    let riscv = set(
        fixtures::json("workflow_job.queued.json"),
        "workflow_job.labels",
        json!(["ubuntu-24.04-riscv"]),
    );
    let file = std::env::temp_dir().join(format!("ghfe-riscv-{port}.json"));
    std::fs::write(&file, fixtures::body(&riscv)).unwrap();
    let sent = ghfe(
        &["send", file.to_str().unwrap(), "--event", "workflow_job"],
        &vars,
    );
    assert!(sent.status.success(), "{}{}", stdout(&sent), stderr(&sent));
    assert!(
        stdout(&sent).contains("Job 289782451 stored."),
        "{}",
        stdout(&sent)
    );
    let row = client
        .query_one("SELECT k8s_pool, k8s_image FROM jobs", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "scw-em-rv1");
    assert_eq!(
        row.get::<_, String>(1),
        "rg.fr-par.scw.cloud/funcscwriseriscvrunnerappqdvknz9s/riscv-runner:ubuntu-24.04-staging",
        "the full registry path: the scheduler passes it verbatim as the pod image"
    );

    let requests = in_flight(&base, &riscv, "operator-secret", 1..31);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let answers: HashMap<i64, Option<u16>> = join_all(requests)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let mut server = server;
    let status = tokio::task::spawn_blocking(move || server.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "ghfe serve exit status {status:?}");
    for (id, answer) in answers {
        if answer == Some(200) {
            let stored = client
                .query_opt("SELECT 1 FROM jobs WHERE job_id = $1", &[&id])
                .await
                .unwrap();
            assert!(stored.is_some(), "job {id} was acknowledged but not stored");
        }
    }
}
