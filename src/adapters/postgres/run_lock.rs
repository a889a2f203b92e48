//! The loops' run locks: session advisory locks named after the loop and
//! the deployment schema, held on a connection taken out of the pool for
//! the run. Dropping the lock closes that connection, which releases it
//! even if the run panics.

use diesel::sql_types::{Bool, Text};
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::ports::{RunLocks, StoreError};

use super::connection::query_error;
use super::PgStore;

/// One run's hold on its lock.
pub struct RunLock(AsyncPgConnection);

impl std::fmt::Debug for RunLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunLock")
    }
}

#[derive(diesel::QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

impl RunLocks for PgStore {
    type Lock = RunLock;

    async fn try_lock(&self, name: &'static str) -> Result<Option<RunLock>, StoreError> {
        let mut conn = Object::take(self.conn().await?);
        let Locked { locked } = diesel::sql_query(
            "SELECT pg_try_advisory_lock(hashtext('ghfe.' || $1 || '.' || current_schema())) AS locked",
        )
        .bind::<Text, _>(name)
        .get_result(&mut conn)
        .await
        .map_err(query_error)?;
        Ok(locked.then_some(RunLock(conn)))
    }

    async fn unlock(&self, lock: RunLock) {
        let RunLock(mut conn) = lock;
        // On failure the connection closes below, which releases it too.
        drop(
            diesel::sql_query("SELECT pg_advisory_unlock_all()")
                .execute(&mut conn)
                .await,
        );
    }
}
