//! Start-up validation: every problem of the effective settings, at once.

use super::{Environment, Settings};

/// The longest schema whose channel `<schema>_queue_event` still fits in
/// PostgreSQL's 63-byte identifiers.
const MAX_SCHEMA_LEN: usize = 63 - "_queue_event".len();

/// Problems found so far.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn check(&mut self, ok: bool, problem: impl Into<String>) {
        if !ok {
            self.0.push(problem.into());
        }
    }
}

/// All problems found; empty when the settings are usable.
pub fn validate(settings: &Settings) -> Vec<String> {
    let mut problems = Problems::default();
    database(settings, &mut problems);
    http(settings, &mut problems);
    github(settings, &mut problems);
    if let Err(errors) = settings.routing.router(settings.environment.deployment()) {
        problems.0.extend(errors);
    }
    if settings.environment == Environment::Production {
        production_requirements(settings, &mut problems);
    }
    problems.0
}

fn database(settings: &Settings, problems: &mut Problems) {
    let schema = settings.schema();
    problems.check(
        is_identifier(&schema) && schema.len() <= MAX_SCHEMA_LEN,
        format!("database.schema {schema:?} must be lower-case letters, digits and _ (at most {MAX_SCHEMA_LEN})"),
    );
    let db = &settings.database;
    problems.check(db.pool_size >= 1, "database.pool_size must be at least 1");
    problems.check(db.batch_max >= 1, "database.batch_max must be at least 1");
    problems.check(
        db.connect_timeout_ms >= 1,
        "database.connect_timeout_ms must be at least 1",
    );
    problems.check(
        db.acquire_timeout_ms >= 1,
        "database.acquire_timeout_ms must be at least 1",
    );
    problems.check(
        db.statement_timeout_ms >= 1,
        "database.statement_timeout_ms must be at least 1",
    );
    problems.check(
        (1..=1000).contains(&db.notify_interval_ms),
        "database.notify_interval_ms must be between 1 and 1000",
    );
}

fn http(settings: &Settings, problems: &mut Problems) {
    problems.check(
        settings.webhook.max_body_bytes >= 1,
        "webhook.max_body_bytes must be at least 1",
    );
    problems.check(
        (1..10_000).contains(&settings.webhook.deadline_ms),
        "webhook.deadline_ms must be below GitHub's 10000",
    );
    problems.check(
        !settings.server.host.is_empty(),
        "server.host must not be empty",
    );
    if let Err(error) = tracing_subscriber::EnvFilter::try_new(&settings.log.level) {
        problems.check(
            false,
            format!(
                "log.level {:?} is not a log filter: {error}",
                settings.log.level
            ),
        );
    }
    if let Some(url) = &settings.staging.url {
        problems.check(is_http_url(url), "staging.url must be an http(s) URL");
    }
    problems.check(
        (1..10_000).contains(&settings.staging.timeout_ms),
        "staging.timeout_ms must be below GitHub's 10000",
    );
    let pages = &settings.pages;
    problems.check(
        (1..=pages.history_max_per_page).contains(&pages.history_per_page),
        "pages.history_per_page must be between 1 and pages.history_max_per_page",
    );
    let redelivery = &settings.redelivery;
    problems.check(
        redelivery.interval_seconds >= 10,
        "redelivery.interval_seconds must be at least 10",
    );
    problems.check(
        (1..=72 * 4).contains(&redelivery.window_hours),
        "redelivery.window_hours must be between 1 and 288",
    );
    problems.check(
        redelivery.max_pages >= 1 && redelivery.max_tries >= 1 && redelivery.max_run_seconds >= 1,
        "redelivery.max_pages, max_tries and max_run_seconds must be at least 1",
    );
    problems.check(
        settings.pages.access == super::PagesAccessSetting::Public
            || settings.pages.required_token(&settings.trace).is_some(),
        "pages.access: bearer needs pages.token or trace.secret",
    );
    let retention = &settings.retention;
    if let Some(days) = retention.events_days {
        let window = settings.redelivery.window_hours;
        problems.check(
            u64::from(days) * 24 >= window,
            format!("retention.events_days ({days}) is shorter than redelivery.window_hours ({window} h): deduplication of redeliveries needs those rows"),
        );
    }
    problems.check(
        retention.jobs_days.is_none_or(|days| days >= 3) && retention.interval_seconds >= 10,
        "retention.jobs_days must be at least 3 (/stats counts a day's jobs once the day is over by a day) \
         and retention.interval_seconds at least 10",
    );
    let reconcile = &settings.reconcile;
    problems.check(
        reconcile.interval_seconds >= 10 && reconcile.per_installation >= 1,
        "reconcile.interval_seconds must be at least 10 and reconcile.per_installation at least 1",
    );
    problems.check(
        reconcile.reserve_percent <= 90,
        "reconcile.reserve_percent must be at most 90",
    );
    problems.check(
        settings.rate_limit.requests >= 1 && settings.rate_limit.window_seconds >= 1,
        "rate_limit.requests and rate_limit.window_seconds must be at least 1",
    );
}

fn github(settings: &Settings, problems: &mut Problems) {
    problems.check(
        is_http_url(&settings.github.api_url),
        "github.api_url must be an http(s) URL",
    );
    problems.check(
        settings.github.timeout_ms >= 1,
        "github.timeout_ms must be at least 1",
    );
    for (name, app) in [
        ("org", &settings.github.apps.org),
        ("personal", &settings.github.apps.personal),
    ] {
        if let Some(id) = app.id {
            problems.check(id > 0, format!("github.apps.{name}.id must be positive"));
        }
    }
}

/// In production a missing secret, database or App key is an error.
fn production_requirements(settings: &Settings, problems: &mut Problems) {
    problems.check(
        !settings.webhook.secrets.is_empty(),
        "production needs a webhook secret (GHAPP_WEBHOOK_SECRET or GHFE__WEBHOOK__SECRETS)",
    );
    problems.check(
        settings.database.url.is_some(),
        "production needs database.url (POSTGRES_URL or GHFE__DATABASE__URL)",
    );
    for (name, app, legacy) in [
        ("org", &settings.github.apps.org, "GHAPP_ORG_PRIVATE_KEY"),
        (
            "personal",
            &settings.github.apps.personal,
            "GHAPP_PERSONAL_PRIVATE_KEY",
        ),
    ] {
        problems.check(
            app.private_key.is_some(),
            format!("production needs github.apps.{name}.private_key ({legacy})"),
        );
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
