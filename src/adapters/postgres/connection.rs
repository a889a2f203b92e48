//! Connections and the pool: every connection puts the deployment's schema
//! on its `search_path` and bounds its statements; failures are sorted into
//! "try again later" (unavailable) and everything else, by SQLSTATE.

use std::sync::Arc;
use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::ConnectionError;
use diesel_async::pooled_connection::deadpool::{Pool, PoolError};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::AsyncPgConnection;
use tokio_postgres::config::Host;
use tokio_postgres::{Client, NoTls};

use super::tls::{self, Target};
use crate::ports::StoreError;

/// The connection pool of reads and `workflow_run` deliveries.
pub type PgPool = Pool<AsyncPgConnection>;

/// Connection parameters of a [`super::PgStore`].
#[derive(Debug, Clone)]
pub struct PgOptions {
    pub url: String,
    /// The deployment schema (validated as a plain identifier).
    pub schema: String,
    pub pool_size: usize,
    pub connect_timeout: Duration,
    /// How long a request waits for a free connection before 503.
    pub acquire_timeout: Duration,
    /// Longest a statement may run, on the server and as the client waits.
    pub statement_timeout: Duration,
    /// Least time between two wake-up notifications.
    pub notify_interval: Duration,
    /// Deliveries in each group-commit batch at most (see `batch.rs`).
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
    /// Run on each new connection: the schema, the statement timeout, and
    /// no JIT compilation (every ghfe statement is short; compiling one the
    /// planner misjudges as long cost 60 ms of a 90 ms read).
    session: String,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("server", &self.describe())
            .field("tls", &self.target.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// Parses the connection string and prepares its TLS.
    pub fn new(options: &PgOptions) -> Result<Self, StoreError> {
        let target = tls::target(&options.url).map_err(|e| StoreError::Unexpected(e.into()))?;
        let millis = options.statement_timeout.as_millis();
        Ok(Self {
            target,
            session: format!(
                "SET search_path TO {}; SET statement_timeout = {millis}; SET jit = off",
                quote_ident(&options.schema)
            ),
        })
    }

    /// Where connections go, for messages: host, port, database and user
    /// (never the password).
    pub fn describe(&self) -> String {
        let config = &self.target.config;
        let host = match config.get_hosts().first() {
            Some(Host::Tcp(name)) => name.clone(),
            Some(Host::Unix(path)) => path.display().to_string(),
            None => "localhost".to_owned(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let user = config.get_user().unwrap_or("(default user)");
        let database = config.get_dbname().unwrap_or(user);
        format!("PostgreSQL at {host}:{port}, database {database:?}, user {user:?}")
    }

    /// Opens one connection as a plain client; its I/O runs on a task of
    /// the calling runtime.
    pub async fn client(&self) -> Result<Client, StoreError> {
        let config = &self.target.config;
        let cannot = |e: tokio_postgres::Error| {
            StoreError::Unavailable(
                format!("cannot connect to {}: {}", self.describe(), explain(&e)).into(),
            )
        };
        let client = match &self.target.tls {
            None => {
                let (client, connection) = config.connect(NoTls).await.map_err(cannot)?;
                tokio::spawn(connection);
                client
            }
            Some(tls) => {
                let (client, connection) = config.connect(tls.clone()).await.map_err(cannot)?;
                tokio::spawn(connection);
                client
            }
        };
        client
            .batch_execute(&self.session)
            .await
            .map_err(|e| db_error(&e))?;
        Ok(client)
    }

    /// Opens one diesel connection.
    pub async fn connect(&self) -> Result<AsyncPgConnection, ConnectionError> {
        let config = &self.target.config;
        let cannot = |e: tokio_postgres::Error| {
            ConnectionError::BadConnection(format!(
                "cannot connect to {}: {}",
                self.describe(),
                explain(&e)
            ))
        };
        let mut conn = match &self.target.tls {
            None => {
                let (client, connection) = config.connect(NoTls).await.map_err(cannot)?;
                AsyncPgConnection::try_from_client_and_connection(client, connection).await?
            }
            Some(tls) => {
                let (client, connection) = config.connect(tls.clone()).await.map_err(cannot)?;
                AsyncPgConnection::try_from_client_and_connection(client, connection).await?
            }
        };
        diesel_async::SimpleAsyncConnection::batch_execute(&mut conn, &self.session)
            .await
            .map_err(ConnectionError::CouldntSetupConfiguration)?;
        Ok(conn)
    }
}

/// What the server said, or else the error and its causes.
pub fn explain(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_owned(),
        };
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Whether connection strings parse (for configuration checks).
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
    // query on every checkout would cost a round trip per request.
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

/// SQLSTATEs after which trying again later can work: connection
/// exceptions (08), operator intervention such as a shutdown or a
/// cancelled statement (57), insufficient resources (53), serialization
/// failures and deadlocks (40), a read-only server after a failover, a
/// lock not available, and a schema not (yet) migrated: a missing table,
/// column, type or schema.
fn transient(sqlstate: &str) -> bool {
    ["08", "57", "53", "40"]
        .iter()
        .any(|class| sqlstate.starts_with(class))
        || ["25006", "55P03", "42P01", "42703", "42704", "3F000"].contains(&sqlstate)
}

/// A statement failure of the plain client.
pub fn db_error(error: &tokio_postgres::Error) -> StoreError {
    let transient = match error.code() {
        Some(code) => transient(code.code()),
        // No answer from the server: the connection closed or failed.
        None => {
            error.is_closed()
                || std::error::Error::source(error)
                    .is_some_and(<dyn std::error::Error>::is::<std::io::Error>)
        }
    };
    let explained = explain(error);
    if transient {
        StoreError::Unavailable(explained.into())
    } else {
        StoreError::Unexpected(explained.into())
    }
}

/// A statement failure through diesel, which keeps only some SQLSTATEs as
/// kinds: a lost connection, a serialization failure and a read-only
/// server are "unavailable".
pub fn query_error(error: DieselError) -> StoreError {
    let transient = matches!(
        &error,
        DieselError::DatabaseError(
            DatabaseErrorKind::UnableToSendCommand
                | DatabaseErrorKind::ClosedConnection
                | DatabaseErrorKind::SerializationFailure
                | DatabaseErrorKind::ReadOnlyTransaction,
            _
        ) | DieselError::BrokenTransactionManager
    );
    if transient {
        StoreError::Unavailable(error.into())
    } else {
        StoreError::Unexpected(error.into())
    }
}

/// The causes of `error`, as one line.
pub fn causes(error: &StoreError) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts.join(": ")
}
