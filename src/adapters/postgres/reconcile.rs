//! The reconciler's reads and its checks (`reconcile_checks`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;

use crate::domain::ids::JobId;
use crate::domain::job::{JobRow, JobStatus};
use crate::ports::{ReconcileLog, StaleJob, StoreError};

use super::connection::query_error;
use super::rows::{Status, StoredJobRow};
use super::schema::{jobs, reconcile_checks};
use super::PgStore;

/// Stale jobs read per run at most, before the per-installation cap.
const SCAN: i64 = 2000;

impl ReconcileLog for PgStore {
    async fn stale_jobs(
        &self,
        pending_before: DateTime<Utc>,
        running_before: DateTime<Utc>,
        per_installation: usize,
        now: DateTime<Utc>,
    ) -> Result<Vec<StaleJob>, StoreError> {
        let mut conn = self.conn().await?;
        let pending = jobs::status
            .eq(Status(JobStatus::Pending))
            .and(jobs::created_at.lt(pending_before));
        let running = jobs::status
            .eq(Status(JobStatus::Running))
            .and(jobs::updated_at.lt(running_before));
        let rows: Vec<(StoredJobRow, Option<(i32, i32)>)> = jobs::table
            .left_join(reconcile_checks::table.on(reconcile_checks::job_id.eq(jobs::job_id)))
            .filter(pending.or(running))
            .filter(
                reconcile_checks::next_check_at
                    .le(now)
                    .or(reconcile_checks::next_check_at.is_null()),
            )
            .order(jobs::created_at.asc())
            .limit(SCAN)
            .select((
                StoredJobRow::as_select(),
                (reconcile_checks::checks, reconcile_checks::not_found).nullable(),
            ))
            .load(&mut conn)
            .await
            .map_err(query_error)?;
        let mut taken: HashMap<i64, usize> = HashMap::new();
        Ok(rows
            .into_iter()
            .map(|(row, checks)| (JobRow::from(row), checks.unwrap_or((0, 0))))
            .filter(|(row, _)| {
                let count = taken.entry(row.installation_id.0).or_default();
                *count += 1;
                *count <= per_installation
            })
            .map(|(row, (checks, not_found))| StaleJob {
                row,
                checks: u32::try_from(checks).unwrap_or(0),
                not_found: u32::try_from(not_found).unwrap_or(0),
            })
            .collect())
    }

    async fn record_check(
        &self,
        job: JobId,
        not_found: u32,
        next_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let not_found = i32::try_from(not_found).unwrap_or(i32::MAX);
        diesel::insert_into(reconcile_checks::table)
            .values((
                reconcile_checks::job_id.eq(job.0),
                reconcile_checks::checks.eq(1),
                reconcile_checks::not_found.eq(not_found),
                reconcile_checks::next_check_at.eq(next_at),
            ))
            .on_conflict(reconcile_checks::job_id)
            .do_update()
            .set((
                reconcile_checks::checks.eq(reconcile_checks::checks + 1),
                reconcile_checks::not_found.eq(excluded(reconcile_checks::not_found)),
                reconcile_checks::next_check_at.eq(excluded(reconcile_checks::next_check_at)),
            ))
            .execute(&mut conn)
            .await
            .map_err(query_error)?;
        Ok(())
    }

    async fn forget(&self, job: JobId) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::delete(reconcile_checks::table.find(job.0))
            .execute(&mut conn)
            .await
            .map_err(query_error)?;
        Ok(())
    }
}
