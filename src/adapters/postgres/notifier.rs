//! The scheduler's wake-up: after a `pending` job commits, a
//! notification on `<schema>_queue_event` follows within milliseconds.
//!
//! A `NOTIFY` inside every delivery's transaction would serialise all
//! commits on PostgreSQL's notify lock. Instead, committed deliveries record
//! the newest job id in a watch channel, and one task sends at most one
//! `pg_notify` per interval on a connection of its own. A notification is
//! therefore only ever sent for a committed job, and many jobs share one.
//! When the notifier cannot reach the database, the scheduler's periodic
//! rescan is the backstop.

use std::time::Duration;

use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::domain::ids::JobId;

use super::connection::{Connector, PgOptions};

/// Sends wake-ups on behalf of committed deliveries.
#[derive(Debug)]
pub struct Notifier {
    newest: watch::Sender<Option<JobId>>,
}

impl Notifier {
    /// Starts the notifier task. It ends, after sending any wake-up still
    /// due, once the returned `Notifier` is dropped.
    pub fn spawn(options: &PgOptions, connector: Connector) -> (Self, JoinHandle<()>) {
        let (newest, pending) = watch::channel(None);
        let task = NotifierTask {
            connector,
            channel: options.channel(),
            interval: options.notify_interval,
            connect_timeout: options.connect_timeout,
            conn: None,
        };
        (Self { newest }, tokio::spawn(task.run(pending)))
    }

    /// Records that `job` committed as `pending`.
    pub fn wake(&self, job: JobId) {
        self.newest.send_replace(Some(job));
    }
}

struct NotifierTask {
    connector: Connector,
    channel: String,
    interval: Duration,
    connect_timeout: Duration,
    conn: Option<AsyncPgConnection>,
}

impl NotifierTask {
    async fn run(mut self, mut pending: watch::Receiver<Option<JobId>>) {
        // `changed` reports a value not yet seen even after the sender is
        // gone, so the last wake-up is flushed before the loop ends.
        while pending.changed().await.is_ok() {
            let Some(job) = *pending.borrow_and_update() else {
                continue;
            };
            // One retry on a fresh connection covers a connection that died
            // since the last notification.
            for attempt in 0..2 {
                match self.notify(job).await {
                    Ok(()) => break,
                    Err(error) => {
                        self.conn = None;
                        if attempt == 1 {
                            tracing::warn!(job.id = %job, %error, "scheduler wake-up not sent; its rescan will find the job");
                        }
                    }
                }
            }
            tokio::time::sleep(self.interval).await;
        }
    }

    async fn notify(&mut self, job: JobId) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            empty => {
                let conn =
                    tokio::time::timeout(self.connect_timeout, self.connector.connect()).await??;
                empty.insert(conn)
            }
        };
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<Text, _>(&self.channel)
            .bind::<Text, _>(job.to_string())
            .execute(conn)
            .await?;
        Ok(())
    }
}
