//! The redelivery loop's state: `redelivery_checkpoints` and
//! `redelivery_tries`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;

use crate::domain::redelivery::Tries;
use crate::ports::{RedeliveryLog, StoreError};

use super::connection::query_error;
use super::schema::{installation_events, redelivery_checkpoints, redelivery_tries};
use super::PgStore;

impl RedeliveryLog for PgStore {
    async fn checkpoint(&self, app: i64) -> Result<Option<DateTime<Utc>>, StoreError> {
        let mut conn = self.conn().await?;
        redelivery_checkpoints::table
            .find(app)
            .select(redelivery_checkpoints::checked_to)
            .first(&mut conn)
            .await
            .optional()
            .map_err(query_error)
    }

    async fn save_checkpoint(&self, app: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::insert_into(redelivery_checkpoints::table)
            .values((
                redelivery_checkpoints::app_id.eq(app),
                redelivery_checkpoints::checked_to.eq(at),
            ))
            .on_conflict(redelivery_checkpoints::app_id)
            .do_update()
            .set((
                redelivery_checkpoints::checked_to.eq(excluded(redelivery_checkpoints::checked_to)),
                redelivery_checkpoints::updated_at.eq(diesel::dsl::now),
            ))
            .execute(&mut conn)
            .await
            .map_err(query_error)?;
        // Tries older than any delivery GitHub still redelivers are moot.
        diesel::delete(redelivery_tries::table)
            .filter(redelivery_tries::last_tried_at.lt(at - chrono::TimeDelta::days(30)))
            .execute(&mut conn)
            .await
            .map_err(query_error)?;
        Ok(())
    }

    async fn recorded(&self, guids: &[String]) -> Result<HashSet<String>, StoreError> {
        let mut conn = self.conn().await?;
        let found: Vec<Option<String>> = installation_events::table
            .filter(installation_events::delivery_id.eq_any(guids))
            .select(installation_events::delivery_id)
            .load(&mut conn)
            .await
            .map_err(query_error)?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn tries(&self, guids: &[String]) -> Result<HashMap<String, Tries>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(String, i32, DateTime<Utc>, bool)> = redelivery_tries::table
            .filter(redelivery_tries::guid.eq_any(guids))
            .select((
                redelivery_tries::guid,
                redelivery_tries::tries,
                redelivery_tries::last_tried_at,
                redelivery_tries::gave_up,
            ))
            .load(&mut conn)
            .await
            .map_err(query_error)?;
        Ok(rows
            .into_iter()
            .map(|(guid, count, last_at, gave_up)| {
                let count = u32::try_from(count).unwrap_or(0);
                (
                    guid,
                    Tries {
                        count,
                        last_at,
                        gave_up,
                    },
                )
            })
            .collect())
    }

    async fn record_try(
        &self,
        app: i64,
        guid: &str,
        at: DateTime<Utc>,
        gave_up: bool,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::insert_into(redelivery_tries::table)
            .values((
                redelivery_tries::guid.eq(guid),
                redelivery_tries::app_id.eq(app),
                redelivery_tries::tries.eq(1),
                redelivery_tries::last_tried_at.eq(at),
                redelivery_tries::gave_up.eq(gave_up),
            ))
            .on_conflict(redelivery_tries::guid)
            .do_update()
            .set((
                redelivery_tries::tries.eq(redelivery_tries::tries + 1),
                redelivery_tries::last_tried_at.eq(excluded(redelivery_tries::last_tried_at)),
                redelivery_tries::gave_up
                    .eq(redelivery_tries::gave_up.or(excluded(redelivery_tries::gave_up))),
            ))
            .execute(&mut conn)
            .await
            .map_err(query_error)?;
        Ok(())
    }
}
