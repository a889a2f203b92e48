//! The composition root: builds the store, the use cases and the HTTP
//! server from the settings, and shuts them down in order; the command
//! line (`cli`) runs each command on the adapters it needs. Only this
//! module (and `main.rs`) names concrete adapters.

pub mod cli;
mod healing;

use std::net::TcpListener;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context as _;
use secrecy::ExposeSecret;
use tokio::task::JoinHandle;

use crate::adapters::github::{AppCredentials, GithubClient};
use crate::adapters::http::{
    routes, AnswerCounts, HttpState, Pages, PagesAccess, RateLimit, TraceToken, WebhookOptions,
};
use crate::adapters::postgres::{migrate, Direction, PgOptions, PgStore, SchemaBehind};
use crate::adapters::staging::StagingClient;
use crate::app::delivery_log::DeliveryLog;
use crate::app::setup::{AppLink, SetupService};
use crate::app::shutdown::{signalled, StopHandle};
use crate::app::staging_proxy::StagingRoute;
use crate::app::trace::Trace;
use crate::app::usage::Demand;
use crate::app::webhook_service::WebhookService;
use crate::app::wiring::Wiring;
use crate::config::{AppSettings, Environment, Settings};
use crate::domain::ids::EntityId;
use crate::domain::staging::{StagingEntity, StagingPolicy};
use crate::ports::JobStore;
use crate::telemetry::metrics_handle;

/// The production choice of adapters.
#[derive(Debug)]
pub struct Production;

impl Wiring for Production {
    type Store = PgStore;
    type Forwarder = StagingClient;
    type Lookup = GithubClient;
}

/// The GitHub client of the setup pages, with the Apps that have both an
/// id and a key.
fn github_client(settings: &Settings) -> anyhow::Result<GithubClient> {
    let credentials = |name: &str, app: &AppSettings| -> anyhow::Result<Option<AppCredentials>> {
        match (app.id, &app.private_key) {
            (Some(id), Some(key)) => AppCredentials::new(id, key.expose_secret())
                .map(Some)
                .map_err(|e| anyhow::anyhow!("github.apps.{name}.private_key: {e}")),
            (None, Some(_)) => {
                tracing::warn!(
                    "github.apps.{name}.id is not set: its setup page cannot look installations up"
                );
                Ok(None)
            }
            _ => Ok(None),
        }
    };
    let apps = &settings.github.apps;
    GithubClient::new(
        &settings.github.api_url,
        Duration::from_millis(settings.github.timeout_ms),
        credentials("org", &apps.org)?,
        credentials("personal", &apps.personal)?,
    )
    .map_err(|e| anyhow::anyhow!(e))
}

/// The staging proxy: production only, and only with `staging.url`.
fn staging_route(settings: &Settings) -> anyhow::Result<Option<StagingRoute<StagingClient>>> {
    let staging = &settings.staging;
    let (Environment::Production, Some(url)) = (settings.environment, &staging.url) else {
        return Ok(None);
    };
    let forwarder = StagingClient::new(url, Duration::from_millis(staging.timeout_ms))
        .map_err(|e| anyhow::anyhow!(e))?;
    let entities = staging
        .entities
        .iter()
        .map(|entity| StagingEntity {
            owner: EntityId(entity.owner_id),
            repos: entity.repos.clone(),
        })
        .collect();
    Ok(Some(StagingRoute {
        forwarder,
        policy: StagingPolicy::new(entities),
    }))
}

fn app_link(app: &AppSettings, default_name: &str) -> AppLink {
    AppLink {
        name: app.name.clone().unwrap_or_else(|| default_name.to_owned()),
        install_url: app.install_url.clone(),
    }
}

/// What only the adapters can judge of the settings: the connection
/// string and the Apps' private keys.
pub fn adapter_problems(settings: &Settings) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(url) = &settings.database.url {
        if let Err(error) = crate::adapters::postgres::check_url(url.expose_secret()) {
            problems.push(format!("database.url: {error}"));
        }
    }
    for (name, app) in [
        ("org", &settings.github.apps.org),
        ("personal", &settings.github.apps.personal),
    ] {
        if let Some(key) = &app.private_key {
            if let Err(error) = AppCredentials::new(0, key.expose_secret()) {
                problems.push(format!("github.apps.{name}.private_key: {error}"));
            }
        }
    }
    problems
}

/// Says once, at ERROR, when the database's schema is older than this
/// ghfe (deliveries then get 503 and `/ready` says why); an unreachable
/// database is only a warning here: the store keeps trying.
async fn report_schema(store: &PgStore) {
    let Err(error) = store.check().await else {
        return;
    };
    let source = std::error::Error::source(&error);
    if let Some(behind) = source.and_then(|source| source.downcast_ref::<SchemaBehind>()) {
        tracing::error!("{behind}");
    } else {
        let reason = source.map_or_else(|| error.to_string(), ToString::to_string);
        tracing::warn!(error = %reason, "database not ready at start-up");
    }
}

/// How often pool gauges are refreshed and histograms drained.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The PostgreSQL options the settings describe.
pub fn pg_options(settings: &Settings) -> anyhow::Result<PgOptions> {
    let url = settings.database.url.as_ref().context(
        "database.url is not set: set POSTGRES_URL (or GHFE__DATABASE__URL) to a PostgreSQL connection string",
    )?;
    let db = &settings.database;
    Ok(PgOptions {
        url: url.expose_secret().to_owned(),
        schema: settings.schema(),
        pool_size: db.pool_size,
        connect_timeout: Duration::from_millis(db.connect_timeout_ms),
        acquire_timeout: Duration::from_millis(db.acquire_timeout_ms),
        statement_timeout: Duration::from_millis(db.statement_timeout_ms),
        notify_interval: Duration::from_millis(db.notify_interval_ms),
        batch_max: db.batch_max,
    })
}

/// A bound, running server.
pub struct Application {
    server: Server,
    stop: StopHandle,
    port: u16,
    store: PgStore,
    notifier: JoinHandle<()>,
    upkeep: JoinHandle<()>,
    healing: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Binds `server.host:server.port` (port 0 picks a free one), applies
    /// migrations if configured, and starts serving.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let options = pg_options(settings)?;
        if settings.database.migrate_on_start {
            let applied = migrate(&options, Direction::Up)
                .await
                .map_err(|e| anyhow::anyhow!(e))
                .context("migrations failed")?;
            tracing::info!(applied = ?applied, schema = %options.schema, "migrations up to date");
        }
        let router = settings
            .routing
            .router(settings.environment.deployment())
            .map_err(|e| anyhow::anyhow!(e.join("; ")))?;
        let (store, notifier) = PgStore::connect(&options)?;
        report_schema(&store).await;
        let apps = &settings.github.apps;
        // One client (its keys parsed once) for the setup pages and the loops.
        let github = github_client(settings)?;
        let state = web::Data::new(HttpState::<Production> {
            service: WebhookService::new(store.clone(), router, staging_route(settings)?),
            trace: Trace::new(store.clone()),
            log: DeliveryLog::new(store.clone()),
            demand: Demand::new(store.clone()),
            setup: SetupService::new(
                github.clone(),
                app_link(&apps.org, "organization App"),
                app_link(&apps.personal, "personal-account App"),
                settings.pages.runs_on.clone(),
            ),
            pages: Pages::new().map_err(|e| anyhow::anyhow!(e))?,
            history_limits: (
                settings.pages.history_per_page,
                settings.pages.history_max_per_page,
            ),
            webhook: WebhookOptions {
                secrets: settings.webhook.secrets.clone(),
                max_body_bytes: settings.webhook.max_body_bytes,
                app_ids: settings.github.apps.ids(),
                deadline: Duration::from_millis(settings.webhook.deadline_ms),
            },
            metrics: Some(metrics_handle()),
            ready: AtomicBool::new(true),
            answers: AnswerCounts::default(),
        });
        let trace_token = web::Data::new(TraceToken(settings.trace.secret.clone()));
        let pages_access = web::Data::new(match settings.pages.required_token(&settings.trace) {
            Some(token) => PagesAccess::Bearer(token.clone()),
            None => PagesAccess::Public,
        });
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .with_context(|| {
                format!(
                    "cannot listen on {}:{}",
                    settings.server.host, settings.server.port
                )
            })?;
        let port = listener.local_addr()?.port();
        let workers = match settings.server.workers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let limit = RateLimit::new(
            settings.rate_limit.requests,
            Duration::from_secs(settings.rate_limit.window_seconds),
            settings.rate_limit.trust_forwarded_for,
        );
        let feed = state.service.feed().clone();
        let server = HttpServer::new(move || {
            let limit = limit.clone();
            App::new()
                .app_data(state.clone())
                .app_data(trace_token.clone())
                .app_data(pages_access.clone())
                .configure(move |cfg| routes::<Production>(cfg, &limit))
        })
        .workers(workers)
        // ghfe's own handler ends live streams first (and treats SIGINT
        // as gracefully as SIGTERM).
        .disable_signals()
        .shutdown_timeout(settings.shutdown_timeout().as_secs().max(1))
        .listen(listener)?
        .run();
        if settings.webhook.secrets.is_empty() {
            tracing::warn!("no webhook secret configured: POST / answers 404 until one is set");
        }
        tracing::info!(port, schema = %options.schema, environment = settings.environment.as_str(), "ghfe listening");
        let upkeep = tokio::spawn(upkeep(store.clone()));
        let healing = healing_loops(settings, &store, &github);
        let stop = StopHandle {
            server: server.handle(),
            feed,
        };
        Ok(Self {
            server,
            stop,
            port,
            store,
            notifier,
            upkeep,
            healing,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server.
    pub fn handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Serves until stopped (SIGINT/SIGTERM or [`ServerHandle::stop`]),
    /// drains in-flight requests, then flushes the last scheduler wake-up.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server,
            stop,
            store,
            notifier,
            upkeep,
            healing,
            ..
        } = self;
        let signals = tokio::spawn(async move {
            signalled().await;
            tracing::info!("stop requested: draining in-flight requests");
            stop.stop(true).await;
        });
        let result = server.await;
        signals.abort();
        upkeep.abort();
        drop(upkeep.await);
        for task in healing {
            task.abort();
            drop(task.await);
        }
        drop(store);
        if tokio::time::timeout(Duration::from_secs(2), notifier)
            .await
            .is_err()
        {
            tracing::warn!("scheduler notifier did not finish in time");
        }
        tracing::info!("ghfe stopped");
        result
    }
}

/// The background loops that are enabled: retention when configured,
/// redelivery and reconciliation when an App has credentials.
fn healing_loops(
    settings: &Settings,
    store: &PgStore,
    github: &GithubClient,
) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    let retention = healing::retention(settings, store.clone());
    if retention.enabled() {
        let interval = Duration::from_secs(settings.retention.interval_seconds);
        tasks.push(tokio::spawn(healing::prune_every(retention, interval)));
    }
    let service = healing::service(settings, store.clone(), github.clone());
    if !service.has_apps() {
        if settings.redelivery.enabled || settings.reconcile.enabled {
            tracing::info!(
                "redelivery and reconciliation are off: no App has both an id and a private key"
            );
        }
        return tasks;
    }
    if settings.redelivery.enabled {
        let interval = Duration::from_secs(settings.redelivery.interval_seconds);
        tasks.push(tokio::spawn(healing::redeliver_every(service, interval)));
    }
    if settings.reconcile.enabled {
        let reconciler = healing::reconciler(settings, store.clone(), github.clone());
        let interval = Duration::from_secs(settings.reconcile.interval_seconds);
        tasks.push(tokio::spawn(healing::reconcile_every(reconciler, interval)));
    }
    tasks
}

/// Refreshes the pool and demand gauges, drains histogram buckets, and
/// counts passed hours of the delivery log and passed days of jobs.
async fn upkeep(store: PgStore) {
    let handle = metrics_handle();
    let mut pools = std::collections::BTreeSet::new();
    for tick in 0u64.. {
        let (open, idle, max) = store.pool_status();
        let gauge = |count: usize| f64::from(u32::try_from(count).unwrap_or(u32::MAX));
        metrics::gauge!("ghfe_db_pool_connections", "state" => "open").set(gauge(open));
        metrics::gauge!("ghfe_db_pool_connections", "state" => "idle").set(gauge(idle));
        metrics::gauge!("ghfe_db_pool_max_connections").set(gauge(max));
        demand_gauges(&store, &mut pools).await;
        handle.run_upkeep();
        // Once a minute, after the gauges (a first pass can take seconds),
        // count up to a day of passed hours for statistics and two passed
        // days of jobs for /stats; at start, every passed hour of the last
        // 31 days and day of the last year not yet counted.
        if tick % 12 == 0 {
            let (hours, days) = if tick == 0 { (31 * 24, 366) } else { (24, 2) };
            if let Err(error) = store.count_passed_hours(hours).await {
                tracing::debug!(error = %crate::ports::error_chain(&error), "counting passed hours failed");
            }
            if let Err(error) = store.count_passed_days(days).await {
                tracing::debug!(error = %crate::ports::error_chain(&error), "counting passed days failed");
            }
        }
        tokio::time::sleep(UPKEEP_INTERVAL).await;
    }
}

/// `ghfe_jobs{pool,status}` and the oldest pending job's age per pool;
/// a pool that emptied reads 0. `ghfe_database_up` says whether it worked.
async fn demand_gauges(store: &PgStore, pools: &mut std::collections::BTreeSet<String>) {
    let Ok(demand) = store.pool_demand().await else {
        metrics::gauge!("ghfe_database_up").set(0.0);
        return;
    };
    metrics::gauge!("ghfe_database_up").set(1.0);
    let mut seen = std::collections::BTreeSet::new();
    #[allow(clippy::cast_precision_loss)]
    for pool in &demand {
        let name = pool.pool.clone();
        metrics::gauge!("ghfe_jobs", "pool" => name.clone(), "status" => "pending")
            .set(pool.pending as f64);
        metrics::gauge!("ghfe_jobs", "pool" => name.clone(), "status" => "running")
            .set(pool.running as f64);
        metrics::gauge!("ghfe_oldest_pending_job_age_seconds", "pool" => name.clone())
            .set(pool.oldest_pending_seconds);
        seen.insert(name);
    }
    for gone in pools.difference(&seen) {
        for status in ["pending", "running"] {
            metrics::gauge!("ghfe_jobs", "pool" => gone.clone(), "status" => status).set(0.0);
        }
        metrics::gauge!("ghfe_oldest_pending_job_age_seconds", "pool" => gone.clone()).set(0.0);
    }
    pools.extend(seen);
}
