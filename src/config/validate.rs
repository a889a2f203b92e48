//! Start-up validation: every problem of the effective settings, at once.

use secrecy::ExposeSecret;

use super::{Environment, Settings};

/// The longest schema whose channel `<schema>_queue_event` still fits in
/// PostgreSQL's 63-byte identifiers.
const MAX_SCHEMA_LEN: usize = 63 - "_queue_event".len();

/// All problems found; empty when the settings are usable.
pub fn validate(settings: &Settings) -> Vec<String> {
    let mut problems = Vec::new();
    let mut check = |ok: bool, problem: String| {
        if !ok {
            problems.push(problem);
        }
    };

    let schema = settings.schema();
    check(
        is_identifier(&schema) && schema.len() <= MAX_SCHEMA_LEN,
        format!("database.schema {schema:?} must be lower-case letters, digits and _ (at most {MAX_SCHEMA_LEN})"),
    );
    if let Some(url) = &settings.database.url {
        if let Err(error) = crate::adapters::postgres::check_url(url.expose_secret()) {
            check(false, format!("database.url: {error}"));
        }
    }
    let db = &settings.database;
    check(
        db.pool_size >= 1,
        "database.pool_size must be at least 1".into(),
    );
    check(
        db.batch_workers >= 1,
        "database.batch_workers must be at least 1".into(),
    );
    check(
        db.batch_max >= 1,
        "database.batch_max must be at least 1".into(),
    );
    check(
        db.connect_timeout_ms >= 1,
        "database.connect_timeout_ms must be at least 1".into(),
    );
    check(
        db.acquire_timeout_ms >= 1,
        "database.acquire_timeout_ms must be at least 1".into(),
    );
    check(
        (1..=1000).contains(&db.notify_interval_ms),
        "database.notify_interval_ms must be between 1 and 1000".into(),
    );
    check(
        settings.webhook.max_body_bytes >= 1,
        "webhook.max_body_bytes must be at least 1".into(),
    );
    check(
        !settings.server.host.is_empty(),
        "server.host must not be empty".into(),
    );
    check(
        is_http_url(&settings.github.api_url),
        "github.api_url must be an http(s) URL".into(),
    );
    if let Some(url) = &settings.staging.url {
        check(
            is_http_url(url),
            "staging.url must be an http(s) URL".into(),
        );
    }
    for (name, app) in [
        ("org", &settings.github.apps.org),
        ("personal", &settings.github.apps.personal),
    ] {
        if let Some(id) = app.id {
            check(id > 0, format!("github.apps.{name}.id must be positive"));
        }
    }
    if let Err(error) = tracing_subscriber::EnvFilter::try_new(&settings.log.level) {
        check(
            false,
            format!(
                "log.level {:?} is not a log filter: {error}",
                settings.log.level
            ),
        );
    }
    if let Err(errors) = settings.routing.router(settings.environment.deployment()) {
        problems.extend(errors);
    }
    if settings.environment == Environment::Production {
        production_requirements(settings, &mut problems);
    }
    problems
}

/// In production a missing secret, database or App key is an error.
fn production_requirements(settings: &Settings, problems: &mut Vec<String>) {
    if settings.webhook.secrets.is_empty() {
        problems.push(
            "production needs a webhook secret (GHAPP_WEBHOOK_SECRET or GHFE__WEBHOOK__SECRETS)"
                .into(),
        );
    }
    if settings.database.url.is_none() {
        problems.push("production needs database.url (POSTGRES_URL or GHFE__DATABASE__URL)".into());
    }
    for (name, app, legacy) in [
        ("org", &settings.github.apps.org, "GHAPP_ORG_PRIVATE_KEY"),
        (
            "personal",
            &settings.github.apps.personal,
            "GHAPP_PERSONAL_PRIVATE_KEY",
        ),
    ] {
        if app.private_key.is_none() {
            problems.push(format!(
                "production needs github.apps.{name}.private_key ({legacy})"
            ));
        }
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_http_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}
