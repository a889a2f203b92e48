//! Retention: old event rows and completed jobs deleted in batches, each
//! its own short statement, so no lock is held for long.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Timestamptz};
use diesel_async::RunQueryDsl;

use crate::ports::{Prunable, StoreError};

use super::connection::query_error;
use super::PgStore;

const EVENTS: &str =
    "DELETE FROM installation_events WHERE id IN (SELECT id FROM installation_events \
     WHERE received_at < $1 ORDER BY received_at LIMIT $2)";
const JOBS: &str = "DELETE FROM jobs WHERE job_id IN (SELECT job_id FROM jobs \
     WHERE status = 'completed' AND updated_at < $1 ORDER BY updated_at LIMIT $2)";
/// The reconciler's checks of jobs gone or completed.
const CHECKS: &str = "DELETE FROM reconcile_checks c WHERE NOT EXISTS \
     (SELECT 1 FROM jobs j WHERE j.job_id = c.job_id AND j.status <> 'completed')";

impl PgStore {
    async fn delete(
        &self,
        sql: &'static str,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<u64, StoreError> {
        let mut conn = self.conn().await?;
        let deleted = diesel::sql_query(sql)
            .bind::<Timestamptz, _>(before)
            .bind::<BigInt, _>(limit)
            .execute(&mut conn)
            .await
            .map_err(query_error)?;
        Ok(u64::try_from(deleted).unwrap_or(0))
    }
}

impl Prunable for PgStore {
    async fn prune_events(&self, before: DateTime<Utc>, limit: i64) -> Result<u64, StoreError> {
        self.delete(EVENTS, before, limit).await
    }

    async fn prune_jobs(&self, before: DateTime<Utc>, limit: i64) -> Result<u64, StoreError> {
        let deleted = self.delete(JOBS, before, limit).await?;
        let mut conn = self.conn().await?;
        diesel::sql_query(CHECKS)
            .execute(&mut conn)
            .await
            .map_err(query_error)?;
        Ok(deleted)
    }
}
