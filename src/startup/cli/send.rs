//! `ghfe send`: a local stand-in for GitHub. Signs a payload file with the
//! configured secret and posts it with GitHub's headers.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use secrecy::ExposeSecret;

use crate::adapters::http::signature::sign;
use crate::config::Settings;

/// What to send.
#[derive(Debug)]
pub struct Request {
    pub payload: PathBuf,
    pub event: String,
    pub url: Option<String>,
    pub delivery: Option<String>,
    pub app_id: Option<i64>,
}

/// Posts the payload; exits 0 on a 2xx answer, 1 otherwise.
pub async fn send(settings: &Settings, request: Request) -> anyhow::Result<ExitCode> {
    let body = std::fs::read(&request.payload)
        .with_context(|| format!("cannot read {}", request.payload.display()))?;
    let secret =
        settings.webhook.secrets.first().context(
            "no webhook secret configured (GHAPP_WEBHOOK_SECRET or GHFE__WEBHOOK__SECRETS)",
        )?;
    let url = request
        .url
        .unwrap_or_else(|| format!("http://127.0.0.1:{}/", settings.server.port));
    let delivery = request
        .delivery
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let apps = &settings.github.apps;
    let app_id = request
        .app_id
        .or(apps.org.id)
        .or(apps.personal.id)
        .unwrap_or(1);
    let response = reqwest::Client::new()
        .post(&url)
        .header("Content-Type", "application/json")
        .header("User-Agent", "GitHub-Hookshot/ghfe-send")
        .header("X-GitHub-Event", &request.event)
        .header("X-GitHub-Delivery", &delivery)
        .header("X-GitHub-Hook-Installation-Target-Id", app_id.to_string())
        .header("X-Hub-Signature-256", sign(&body, secret.expose_secret()))
        .body(body)
        .send()
        .await
        .with_context(|| format!("cannot post to {url}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    say!("delivery {delivery} ({}) → {status}: {text}", request.event);
    Ok(if status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
