//! Settings: layered YAML (`config/default.yaml`, then
//! `config/<environment>.yaml`), then the predecessor's variables, then
//! `GHFE__SECTION__KEY` variables. Loaded and validated once at
//! start-up; every problem is reported together.

mod load;
mod mask;
mod routing;
mod strict;
mod validate;

use std::collections::BTreeMap;
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::domain::deployment::Deployment;

pub use load::{load, load_from_process, load_with, ConfigErrors};
pub use routing::{MatchModeSetting, RoutingSettings, RuleSettings, ScopeSettings};

/// Which configuration layer and behaviour applies (`GHFE_ENV`, or `PROD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Development,
    Test,
    Staging,
    Production,
}

impl Environment {
    /// Parses `GHFE_ENV`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "development" => Some(Self::Development),
            "test" => Some(Self::Test),
            "staging" => Some(Self::Staging),
            "production" => Some(Self::Production),
            _ => None,
        }
    }

    /// The file name stem of this environment's layer.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Staging => "staging",
            Self::Production => "production",
        }
    }

    /// Production or not: image tags and the default schema follow it.
    pub fn deployment(self) -> Deployment {
        if self == Self::Production {
            Deployment::Production
        } else {
            Deployment::Staging
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Settings {
    #[serde(skip_deserializing)]
    pub environment: Environment,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub webhook: WebhookSettings,
    pub github: GithubSettings,
    pub trace: TraceSettings,
    pub staging: StagingSettings,
    pub pages: PagesSettings,
    pub rate_limit: RateLimitSettings,
    pub redelivery: RedeliveryConfig,
    pub reconcile: ReconcileConfig,
    pub retention: RetentionConfig,
    pub log: LogSettings,
    pub routing: RoutingSettings,
}

/// `server.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// HTTP workers; 0 means one per CPU.
    pub workers: usize,
    /// How long SIGINT/SIGTERM waits for in-flight requests.
    pub shutdown_timeout_ms: u64,
}

/// `database.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DatabaseSettings {
    #[serde(serialize_with = "mask::url")]
    pub url: Option<SecretString>,
    /// Defaults to `prod` in production, `staging` otherwise.
    pub schema: Option<String>,
    pub pool_size: usize,
    pub connect_timeout_ms: u64,
    pub acquire_timeout_ms: u64,
    /// Longest a statement may run before it is cancelled.
    pub statement_timeout_ms: u64,
    pub notify_interval_ms: u64,
    /// Deliveries committed together at most (by one transaction per HTTP
    /// worker thread, on a connection of its own outside `pool_size`).
    pub batch_max: usize,
    /// Apply pending migrations when `serve` starts.
    pub migrate_on_start: bool,
}

/// `webhook.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct WebhookSettings {
    /// Every accepted HMAC secret (rotation); none means fail closed.
    #[serde(serialize_with = "mask::secrets")]
    pub secrets: Vec<SecretString>,
    pub max_body_bytes: usize,
    /// A delivery not stored this long after it arrived is answered 503.
    pub deadline_ms: u64,
}

/// `github.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct GithubSettings {
    pub api_url: String,
    /// How long an installation lookup may take.
    pub timeout_ms: u64,
    pub apps: AppsSettings,
}

/// `github.apps.*`: the organization App and the personal-account App.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct AppsSettings {
    pub org: AppSettings,
    pub personal: AppSettings,
}

impl AppsSettings {
    /// The configured app ids; when any is set, deliveries for other apps
    /// are refused.
    pub fn ids(&self) -> Vec<i64> {
        [self.org.id, self.personal.id]
            .into_iter()
            .flatten()
            .collect()
    }
}

/// One GitHub App.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct AppSettings {
    pub id: Option<i64>,
    pub name: Option<String>,
    pub install_url: Option<String>,
    #[serde(serialize_with = "mask::secret")]
    pub private_key: Option<SecretString>,
}

/// `trace.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TraceSettings {
    /// Bearer token of `/trace/*` and `/api/*`; none means 404.
    #[serde(serialize_with = "mask::secret")]
    pub secret: Option<SecretString>,
}

/// `staging.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct StagingSettings {
    pub url: Option<String>,
    pub prod_url: Option<String>,
    /// Below GitHub's 10 s, so GitHub sees staging's answer.
    pub timeout_ms: u64,
    /// Entities whose job deliveries production forwards to staging.
    pub entities: Vec<StagingEntitySettings>,
}

/// One flagged entity.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct StagingEntitySettings {
    pub owner_id: i64,
    /// Repository full names; empty means all of the owner's.
    #[serde(default)]
    pub repos: Vec<String>,
}

/// `pages.*`: the HTML and JSON pages.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PagesSettings {
    /// The `runs-on` label the success page tells users to use.
    pub runs_on: String,
    pub history_per_page: u64,
    pub history_max_per_page: u64,
    /// Who may read `/usage`, `/history` and `/stats`.
    pub access: PagesAccessSetting,
    /// Their bearer token with `access: bearer`; none: the trace secret.
    #[serde(serialize_with = "mask::secret")]
    pub token: Option<SecretString>,
}

/// `pages.access`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PagesAccessSetting {
    /// Anyone who reaches ghfe (keep the paths internal).
    Public,
    /// `Authorization: Bearer <pages.token or trace.secret>`.
    Bearer,
}

impl PagesSettings {
    /// The token `/usage`, `/history` and `/stats` need, if any.
    pub fn required_token<'a>(&'a self, trace: &'a TraceSettings) -> Option<&'a SecretString> {
        match self.access {
            PagesAccessSetting::Public => None,
            PagesAccessSetting::Bearer => self
                .token
                .as_ref()
                .or(trace.secret.as_ref())
                .filter(|token| !secrecy::ExposeSecret::expose_secret(*token).is_empty()),
        }
    }
}

/// `rate_limit.*`: per client address, on `/setup/*`, `/trace/*`, `/api/*`
/// and `/deliveries`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RateLimitSettings {
    pub requests: u64,
    pub window_seconds: u64,
    /// Take the client address from `X-Forwarded-For` (behind a proxy).
    pub trust_forwarded_for: bool,
}

/// `redelivery.*`: GitHub's failed deliveries, asked for again.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RedeliveryConfig {
    /// Run the loop (in every replica; one runs at a time).
    pub enabled: bool,
    pub interval_seconds: u64,
    /// How old a delivery GitHub still redelivers (72 on github.com).
    pub window_hours: u64,
    /// How far behind the last checkpoint each scan reaches.
    pub overlap_minutes: u64,
    /// Pages of 100 deliveries read per App and run, at most.
    pub max_pages: usize,
    /// Redeliveries asked for per App and run, at most.
    pub max_per_run: usize,
    /// Redeliveries of one delivery, at most.
    pub max_tries: u32,
    /// The pause between two redelivery requests.
    pub pace_ms: u64,
    /// A run stops after this long.
    pub max_run_seconds: u64,
}

/// `reconcile.*`: stale jobs checked against GitHub's jobs API.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ReconcileConfig {
    pub enabled: bool,
    pub interval_seconds: u64,
    /// A `pending` job this old is checked.
    pub pending_after_minutes: u32,
    /// A `running` job unchanged this long is checked.
    pub running_after_hours: u32,
    /// Jobs checked per installation and run, at most.
    pub per_installation: usize,
    /// An installation's pass stops below this share of its rate limit.
    pub reserve_percent: u8,
}

/// `retention.*`: how long rows are kept; unset keeps them forever.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RetentionConfig {
    /// Days of `installation_events` kept (at least the redelivery window).
    pub events_days: Option<u32>,
    /// Days completed jobs are kept after their last change (at least 3, so
    /// `/stats` has counted their day first).
    pub jobs_days: Option<u32>,
    pub interval_seconds: u64,
}

/// `log.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LogSettings {
    /// A tracing filter: `info`, `debug`, `info,ghfe=debug`, …
    pub level: String,
    pub format: LogFormat,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Text in development, JSON elsewhere.
    Auto,
    Json,
    Text,
}

impl Settings {
    /// The schema of this deployment.
    pub fn schema(&self) -> String {
        self.database
            .schema
            .clone()
            .unwrap_or_else(|| self.environment.deployment().default_schema().to_owned())
    }

    /// Whether logs are JSON lines.
    pub fn json_logs(&self) -> bool {
        match self.log.format {
            LogFormat::Json => true,
            LogFormat::Text => false,
            LogFormat::Auto => self.environment != Environment::Development,
        }
    }

    /// The drain time on shutdown.
    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_millis(self.server.shutdown_timeout_ms)
    }

    /// The effective configuration as JSON, secrets masked.
    pub fn masked_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// Label weights as configured.
    pub fn priority_weights(&self) -> &BTreeMap<String, i32> {
        &self.routing.priority_weights
    }
}
