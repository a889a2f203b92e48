//! `spawn_app`: ghfe on a free port of a real socket, on a fresh database,
//! with signed deliveries and direct SQL to check what was stored.

use std::collections::HashMap;

use ghfe::adapters::http::signature::sign;
use ghfe::app::shutdown::StopHandle;
use ghfe::config::{RuleSettings, Settings};
use ghfe::startup::Application;
use secrecy::SecretString;
use tokio_postgres::Client;

use super::db;
use super::proxy::{address_of, Proxy};

pub const SECRET: &str = "test-webhook-secret";
pub const TRACE_SECRET: &str = "test-trace-secret";
/// The pool of the rule that routes the fixtures' `ubuntu-latest` label.
pub const FIXTURE_POOL: &str = "fixture-pool";

/// Settings for a test server on `db_url`, built in code.
pub fn settings(db_url: &str) -> Settings {
    let vars = HashMap::from([
        ("GHFE_ENV".to_owned(), "test".to_owned()),
        (
            "GHFE_CONFIG_DIR".to_owned(),
            concat!(env!("CARGO_MANIFEST_DIR"), "/config").to_owned(),
        ),
    ]);
    let mut settings = ghfe::config::load(&vars).expect("test configuration is valid");
    settings.server.host = "127.0.0.1".into();
    settings.server.port = 0;
    settings.server.workers = 1;
    settings.server.shutdown_timeout_ms = 1000;
    settings.database.url = Some(SecretString::from(db_url));
    settings.database.pool_size = 4;
    settings.database.connect_timeout_ms = 1000;
    settings.database.acquire_timeout_ms = 1000;
    settings.webhook.secrets = vec![SecretString::from(SECRET)];
    settings.trace.secret = Some(SecretString::from(TRACE_SECRET));
    settings.routing.rules.push(RuleSettings {
        name: "fixtures".into(),
        scope: None,
        labels: vec!["ubuntu-latest".into()],
        pool: FIXTURE_POOL.into(),
        image: "riscv-runner:ubuntu-24.04".into(),
        priority: 0,
        mode: ghfe::config::MatchModeSetting::Exact,
    });
    settings
}

/// A running ghfe and a client on its database.
pub struct TestApp {
    pub address: String,
    pub db_url: String,
    pub db: Client,
    pub http: reqwest::Client,
    handle: StopHandle,
}

/// ghfe with the test settings on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// ghfe with the test settings, adjusted by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let db_url = db::fresh_database().await;
    let mut settings = settings(&db_url);
    configure(&mut settings);
    spawn(settings, db_url).await
}

/// ghfe on a fresh database that it reaches through a proxy the test can
/// cut or freeze (the test's own checks connect directly).
pub async fn spawn_behind_proxy(configure: impl FnOnce(&mut Settings)) -> (TestApp, Proxy) {
    let direct = db::fresh_database().await;
    let proxy = Proxy::start(address_of(&direct)).await;
    let database = direct.rsplit('/').next().expect("a database name");
    let proxied = db::url_for(
        &format!("postgres://postgres@127.0.0.1:{}/x", proxy.port),
        database,
    );
    let mut settings = settings(&proxied);
    configure(&mut settings);
    (spawn(settings, direct).await, proxy)
}

/// ghfe with exactly `settings`; `db_url` is where checks look.
pub async fn spawn(settings: Settings, db_url: String) -> TestApp {
    let app = Application::build(&settings)
        .await
        .expect("application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        db: db::connect(&db_url).await,
        db_url,
        http: reqwest::Client::new(),
        handle,
    }
}

/// A delivery as GitHub sends it, with ways to break each header.
#[derive(Debug, Clone)]
pub struct Post {
    pub event: Option<String>,
    pub body: Vec<u8>,
    pub signature: Option<String>,
    pub target: Option<String>,
    pub delivery: Option<String>,
}

impl Post {
    /// Signed with [`SECRET`], app id 1, a fresh delivery GUID.
    pub fn new(event: &str, body: impl Into<Vec<u8>>) -> Self {
        let body = body.into();
        Self {
            event: Some(event.to_owned()),
            signature: Some(sign(&body, SECRET)),
            body,
            target: Some("1".to_owned()),
            delivery: Some(uuid::Uuid::new_v4().to_string()),
        }
    }

    pub fn signed_with(mut self, secret: &str) -> Self {
        self.signature = Some(sign(&self.body, secret));
        self
    }

    pub fn event(mut self, event: Option<&str>) -> Self {
        self.event = event.map(str::to_owned);
        self
    }

    pub fn signature(mut self, signature: Option<&str>) -> Self {
        self.signature = signature.map(str::to_owned);
        self
    }

    pub fn target(mut self, target: Option<&str>) -> Self {
        self.target = target.map(str::to_owned);
        self
    }

    pub fn delivery(mut self, delivery: Option<&str>) -> Self {
        self.delivery = delivery.map(str::to_owned);
        self
    }
}

/// What ghfe answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

impl TestApp {
    /// Posts `post` to `/`.
    pub async fn send(&self, post: Post) -> Answer {
        let mut request = self.http.post(format!("{}/", self.address)).body(post.body);
        for (name, value) in [
            ("X-GitHub-Event", post.event),
            ("X-Hub-Signature-256", post.signature),
            ("X-GitHub-Hook-Installation-Target-Id", post.target),
            ("X-GitHub-Delivery", post.delivery),
        ] {
            if let Some(value) = value {
                request = request.header(name, value);
            }
        }
        answer(request.send().await.expect("ghfe answers")).await
    }

    /// Posts a well-formed delivery of `event`.
    pub async fn deliver(&self, event: &str, body: impl Into<Vec<u8>>) -> Answer {
        self.send(Post::new(event, body)).await
    }

    /// `GET path` with an optional bearer token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut request = self.http.get(format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request.send().await.expect("ghfe answers")).await
    }

    /// `GET path` answered 200 with JSON: the JSON.
    pub async fn get_json(&self, path: &str, token: Option<&str>) -> serde_json::Value {
        let answer = self.get(path, token).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text);
        serde_json::from_str(&answer.text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// A single `i64` from SQL (counts, ids).
    pub async fn scalar(&self, sql: &str) -> i64 {
        self.db
            .query_one(sql, &[])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .get(0)
    }

    /// Rows in `jobs` plus rows in `installation_events`.
    pub async fn rows_written(&self) -> i64 {
        self.scalar(
            "SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM installation_events)",
        )
        .await
    }

    /// The status of job `id`, if it has a row.
    pub async fn job_status(&self, id: i64) -> Option<String> {
        self.db
            .query_opt("SELECT status::text FROM jobs WHERE job_id = $1", &[&id])
            .await
            .expect("jobs query")
            .map(|row| row.get(0))
    }

    /// (event, outcome) of every event row, oldest first.
    pub async fn events(&self) -> Vec<(String, String)> {
        self.db
            .query(
                "SELECT event, outcome FROM installation_events ORDER BY id",
                &[],
            )
            .await
            .expect("events query")
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect()
    }

    /// Stops the server (drains in-flight requests first).
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    Answer {
        status,
        text: response.text().await.expect("response body"),
        headers,
    }
}
