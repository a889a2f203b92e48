//! Connections and the pool: every connection puts the deployment's schema
//! on its `search_path`; failures are sorted into "try again later"
//! (unavailable) and everything else.

use std::sync::Arc;
use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::ConnectionError;
use diesel_async::pooled_connection::deadpool::{Pool, PoolError};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use tokio_postgres::NoTls;

use super::tls::{self, Target};
use crate::ports::StoreError;

/// The connection pool.
pub type PgPool = Pool<AsyncPgConnection>;

/// Connection parameters of a [`super::PgStore`].
#[derive(Debug, Clone)]
pub struct PgOptions {
    pub url: String,
    /// The deployment schema (validated as a plain identifier).
    pub schema: String,
    pub pool_size: usize,
    pub connect_timeout: Duration,
    /// How long a delivery waits for a free connection before 503.
    pub acquire_timeout: Duration,
    /// Least time between two wake-up notifications.
    pub notify_interval: Duration,
    /// Concurrent group-commit transactions per thread (see `per_thread.rs`),
    /// and deliveries in each at most.
    pub batch_workers: usize,
    pub batch_max: usize,
}

impl PgOptions {
    /// The channel the scheduler `LISTEN`s on.
    pub fn channel(&self) -> String {
        format!("{}_queue_event", self.schema)
    }
}

/// `"name"` with embedded quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Opens connections to one database with one schema on the search path.
#[derive(Clone)]
pub struct Connector {
    target: Target,
    set_search_path: String,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("tls", &self.target.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// Parses the connection string and prepares its TLS.
    pub fn new(options: &PgOptions) -> Result<Self, StoreError> {
        let target = tls::target(&options.url).map_err(|e| StoreError::Unexpected(e.into()))?;
        Ok(Self {
            target,
            set_search_path: format!("SET search_path TO {}", quote_ident(&options.schema)),
        })
    }

    /// Opens one connection.
    pub async fn connect(&self) -> Result<AsyncPgConnection, ConnectionError> {
        let config = &self.target.config;
        let bad = |e: tokio_postgres::Error| ConnectionError::BadConnection(e.to_string());
        let mut conn = match &self.target.tls {
            None => {
                let (client, connection) = config.connect(NoTls).await.map_err(bad)?;
                AsyncPgConnection::try_from_client_and_connection(client, connection).await?
            }
            Some(tls) => {
                let (client, connection) = config.connect(tls.clone()).await.map_err(bad)?;
                AsyncPgConnection::try_from_client_and_connection(client, connection).await?
            }
        };
        conn.batch_execute(&self.set_search_path)
            .await
            .map_err(ConnectionError::CouldntSetupConfiguration)?;
        Ok(conn)
    }
}

/// Whether `url` is a usable connection string (for configuration checks).
pub fn check_url(url: &str) -> Result<(), String> {
    tls::target(url).map(drop)
}

/// Builds the pool; connections are opened lazily.
pub fn build_pool(options: &PgOptions, connector: Connector) -> Result<PgPool, StoreError> {
    let connector = Arc::new(connector);
    let mut config = ManagerConfig::default();
    config.custom_setup = Box::new(move |_url| {
        let connector = connector.clone();
        Box::pin(async move { connector.connect().await })
    });
    // A connection whose socket closed is discarded when returned; a test
    // query on every checkout would cost a round trip per delivery.
    config.recycling_method = RecyclingMethod::Fast;
    let manager = AsyncDieselConnectionManager::new_with_config(options.url.clone(), config);
    Pool::builder(manager)
        .max_size(options.pool_size)
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(options.acquire_timeout))
        .create_timeout(Some(options.connect_timeout))
        .recycle_timeout(Some(options.connect_timeout))
        .build()
        .map_err(|e| StoreError::Unexpected(e.into()))
}

/// A pool checkout failure: no connection could be made or freed in time.
pub fn pool_error(error: PoolError) -> StoreError {
    match error {
        PoolError::NoRuntimeSpecified => StoreError::Unexpected(error.into()),
        _ => StoreError::Unavailable(error.into()),
    }
}

/// A statement failure. Lost connections, read-only replicas after a
/// failover, serialization conflicts and operator shutdowns are
/// "unavailable" (retrying later can work); the rest is unexpected.
pub fn query_error(error: DieselError) -> StoreError {
    let transient = match &error {
        DieselError::DatabaseError(kind, info) => match kind {
            DatabaseErrorKind::UnableToSendCommand
            | DatabaseErrorKind::ClosedConnection
            | DatabaseErrorKind::SerializationFailure
            | DatabaseErrorKind::ReadOnlyTransaction => true,
            // SQLSTATE classes 57 and 08 arrive without a kind of their own.
            _ => [
                "terminating connection",
                "the database system is",
                "canceling statement due to conflict",
            ]
            .iter()
            .any(|prefix| info.message().starts_with(prefix)),
        },
        DieselError::BrokenTransactionManager => true,
        _ => false,
    };
    if transient {
        StoreError::Unavailable(error.into())
    } else {
        StoreError::Unexpected(error.into())
    }
}
