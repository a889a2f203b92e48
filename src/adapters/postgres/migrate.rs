//! Embedded, reversible migrations, applied in the deployment schema.
//!
//! The migration harness is synchronous: it runs on a blocking thread
//! through `AsyncConnectionWrapper`, which works under actix's
//! current-thread runtime too. An advisory lock keeps replicas that start
//! together from migrating the same schema at once.

use diesel::migration::MigrationSource;
use diesel::sql_types::Text;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::connection::{query_error, quote_ident, Connector, PgOptions};
use crate::ports::StoreError;

/// The migrations of `migrations/`, compiled in.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What to do with the migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Apply every pending migration.
    Up,
    /// Revert the most recent applied migration.
    RevertLast,
    /// Revert every applied migration (drops ghfe's tables and data).
    RevertAll,
}

/// Creates the schema if needed and moves it in `direction`; returns the
/// versions applied or reverted.
pub async fn migrate(options: &PgOptions, direction: Direction) -> Result<Vec<String>, BoxError> {
    let mut conn = Connector::new(options)?.connect().await?;
    // A migration may build an index on a long log: no statement limit.
    conn.batch_execute(&format!(
        "SET statement_timeout = 0; CREATE SCHEMA IF NOT EXISTS {}",
        quote_ident(&options.schema)
    ))
    .await?;
    diesel::sql_query("SELECT pg_advisory_lock(hashtext($1))")
        .bind::<Text, _>(lock_key(options))
        .execute(&mut conn)
        .await?;
    let (conn, versions) = tokio::task::spawn_blocking(move || {
        let mut wrapper: AsyncConnectionWrapper<AsyncPgConnection> =
            AsyncConnectionWrapper::from(conn);
        let versions = run(&mut wrapper, direction);
        (wrapper.into_inner(), versions)
    })
    .await?;
    let mut conn = conn;
    diesel::sql_query("SELECT pg_advisory_unlock(hashtext($1))")
        .bind::<Text, _>(lock_key(options))
        .execute(&mut conn)
        .await?;
    versions
}

fn lock_key(options: &PgOptions) -> String {
    format!("ghfe-migrate-{}", options.schema)
}

fn run(
    harness: &mut impl MigrationHarness<diesel::pg::Pg>,
    direction: Direction,
) -> Result<Vec<String>, BoxError> {
    let versions = match direction {
        Direction::Up => harness.run_pending_migrations(MIGRATIONS)?,
        Direction::RevertLast => vec![harness.revert_last_migration(MIGRATIONS)?],
        Direction::RevertAll => harness.revert_all_migrations(MIGRATIONS)?,
    };
    Ok(versions.iter().map(ToString::to_string).collect())
}

/// The newest migration compiled in: the schema version this ghfe needs.
pub fn required_version() -> String {
    MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)
        .ok()
        .and_then(|migrations| {
            migrations
                .iter()
                .map(|m| m.name().version().to_string())
                .max()
        })
        .unwrap_or_default()
}

/// Succeeds when the database answers and its schema has every migration
/// this ghfe needs; says what to do otherwise.
pub async fn check_version(conn: &mut AsyncPgConnection) -> Result<(), StoreError> {
    let table: OneText =
        diesel::sql_query("SELECT to_regclass('__diesel_schema_migrations')::text AS value")
            .get_result(conn)
            .await
            .map_err(query_error)?;
    // No migrations table in the schema: never migrated.
    let applied = match table.value {
        None => None,
        Some(_) => {
            diesel::sql_query("SELECT max(version) AS value FROM __diesel_schema_migrations")
                .get_result::<OneText>(conn)
                .await
                .map_err(query_error)?
                .value
        }
    };
    let needed = required_version();
    match applied {
        Some(version) if version >= needed => Ok(()),
        found => Err(StoreError::Unavailable(Box::new(SchemaBehind {
            found,
            needed,
        }))),
    }
}

/// The database's schema lacks migrations this ghfe needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaBehind {
    /// The newest migration applied, if any.
    pub found: Option<String>,
    pub needed: String,
}

impl std::fmt::Display for SchemaBehind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "database schema is at {}, this ghfe needs {}: run ghfe migrate",
            self.found.as_deref().unwrap_or("nothing (never migrated)"),
            self.needed
        )
    }
}

impl std::error::Error for SchemaBehind {}

#[derive(diesel::QueryableByName)]
struct OneText {
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    value: Option<String>,
}
