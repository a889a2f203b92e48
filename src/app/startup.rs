//! The composition root: builds the store, the use case and the HTTP
//! server from the settings, and shuts them down in order.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{web, App, HttpServer};
use anyhow::Context as _;
use secrecy::ExposeSecret;
use tokio::task::JoinHandle;

use crate::adapters::http::{routes, HttpState, WebhookOptions};
use crate::adapters::postgres::{migrate, Direction, PgOptions, PgStore};
use crate::app::webhook_service::WebhookService;
use crate::config::Settings;
use crate::telemetry::metrics_handle;

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
        notify_interval: Duration::from_millis(db.notify_interval_ms),
        batch_workers: db.batch_workers,
        batch_max: db.batch_max,
    })
}

/// A bound, running server.
pub struct Application {
    server: Server,
    port: u16,
    store: PgStore,
    notifier: JoinHandle<()>,
    upkeep: JoinHandle<()>,
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
        let state = web::Data::new(HttpState {
            service: WebhookService::new(store.clone(), router),
            webhook: WebhookOptions {
                secrets: settings.webhook.secrets.clone(),
                max_body_bytes: settings.webhook.max_body_bytes,
                app_ids: settings.github.apps.ids(),
            },
            trace_secret: settings.trace.secret.clone(),
            metrics: Some(metrics_handle()),
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
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .configure(routes::<PgStore>)
        })
        .workers(workers)
        .shutdown_timeout(settings.shutdown_timeout().as_secs().max(1))
        .listen(listener)?
        .run();
        if settings.webhook.secrets.is_empty() {
            tracing::warn!("no webhook secret configured: POST / answers 404 until one is set");
        }
        tracing::info!(port, schema = %options.schema, environment = settings.environment.as_str(), "ghfe listening");
        let upkeep = tokio::spawn(upkeep(store.clone()));
        Ok(Self {
            server,
            port,
            store,
            notifier,
            upkeep,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server gracefully.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGINT/SIGTERM or [`ServerHandle::stop`]),
    /// drains in-flight requests, then flushes the last scheduler wake-up.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server,
            store,
            notifier,
            upkeep,
            ..
        } = self;
        let result = server.await;
        upkeep.abort();
        drop(upkeep.await);
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

/// Refreshes the pool gauges and drains histogram buckets.
async fn upkeep(store: PgStore) {
    let handle = metrics_handle();
    loop {
        let (open, idle, max) = store.pool_status();
        let gauge = |count: usize| f64::from(u32::try_from(count).unwrap_or(u32::MAX));
        metrics::gauge!("ghfe_db_pool_connections", "state" => "open").set(gauge(open));
        metrics::gauge!("ghfe_db_pool_connections", "state" => "idle").set(gauge(idle));
        metrics::gauge!("ghfe_db_pool_max_connections").set(gauge(max));
        handle.run_upkeep();
        tokio::time::sleep(UPKEEP_INTERVAL).await;
    }
}
