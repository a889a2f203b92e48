//! Group commit: deliveries that arrive while others are being written are
//! committed together, in one transaction sent in one round trip (`BEGIN`,
//! the statements and `COMMIT` pipelined: see `pipeline.rs`), and each is
//! answered only once that transaction has committed. One commit (one WAL
//! flush) then carries many deliveries, where a transaction per delivery
//! pays one each.
//!
//! Statements run in arrival order, so a batch means exactly what applying
//! its deliveries one after the other would. If a batch fails for anything
//! but a lost database, each delivery is retried alone, so one bad delivery
//! cannot fail the others.

use std::sync::Arc;

use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::SimpleAsyncConnection;
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio::task::JoinHandle;

use crate::ports::{DeliveryRecord, StoreError};

use super::apply::{apply_one, settle, Committed, Item};
use super::connection::{pool_error, query_error, PgPool};
use super::pipeline::{one_trip, Verdict};

/// Deliveries waiting for a worker, at most; more wait for room.
const QUEUE: usize = 4096;

type Reply = oneshot::Sender<Result<Committed, StoreError>>;

/// The entry point of the batch workers.
#[derive(Debug)]
pub struct Batcher {
    queue: mpsc::Sender<(Item, Reply)>,
}

impl Batcher {
    /// Starts `workers` tasks, each committing up to `max_batch` deliveries
    /// at a time. They end once the `Batcher` is dropped and the queue is
    /// empty.
    pub fn spawn(pool: &PgPool, workers: usize, max_batch: usize) -> (Self, Vec<JoinHandle<()>>) {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        let tasks = (0..workers.max(1))
            .map(|_| tokio::spawn(worker(pool.clone(), receiver.clone(), max_batch.max(1))))
            .collect();
        (Self { queue }, tasks)
    }

    /// Applies `record` with whatever else is waiting; returns after commit.
    pub async fn apply(&self, record: DeliveryRecord) -> Result<Committed, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((Item::from(record), reply))
            .await
            .map_err(|_| StoreError::Unavailable("store is shutting down".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unexpected("batch worker stopped".into()))?
    }
}

async fn worker(
    pool: PgPool,
    receiver: Arc<Mutex<mpsc::Receiver<(Item, Reply)>>>,
    max_batch: usize,
) {
    loop {
        let mut batch = {
            let mut receiver = receiver.lock().await;
            let Some(first) = receiver.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < max_batch {
                match receiver.try_recv() {
                    Ok(item) => batch.push(item),
                    Err(_) => break,
                }
            }
            batch
        };
        // Row locks in job order, so two batches never wait on each other
        // in a cycle; the sort is stable, so one job's deliveries keep
        // their arrival order.
        batch.sort_by_key(|(item, _)| item.job());
        let size = f64::from(u32::try_from(batch.len()).unwrap_or(u32::MAX));
        metrics::histogram!("ghfe_db_batch_size").record(size);
        let (items, replies): (Vec<Item>, Vec<Reply>) = batch.into_iter().unzip();
        for (reply, result) in replies.into_iter().zip(commit(&pool, &items).await) {
            // A dropped receiver is a caller that went away: its delivery
            // is committed all the same.
            drop(reply.send(result));
        }
    }
}

/// Commits `items`; one result per item, in order.
async fn commit(pool: &PgPool, items: &[Item]) -> Vec<Result<Committed, StoreError>> {
    let mut conn = match pool.get().await {
        Ok(conn) => conn,
        Err(error) => return each_fails(items, &pool_error(error)),
    };
    if items.len() == 1 {
        return vec![apply_one(&mut conn, &items[0]).await.map_err(query_error)];
    }
    let failure = match one_trip(&conn, items).await.verdict() {
        Verdict::Committed(executed) => {
            let mut results = Vec::with_capacity(items.len());
            for (item, executed) in items.iter().zip(executed) {
                results.push(match executed {
                    Ok(executed) => settle(&mut conn, item, executed).await.map_err(query_error),
                    Err(error) => Err(query_error(error)),
                });
            }
            return results;
        }
        Verdict::RolledBack(error) | Verdict::Failed(error) => query_error(error),
    };
    match failure {
        unavailable @ StoreError::Unavailable(_) => {
            // The connection may still hold the transaction open.
            drop(Object::take(conn));
            each_fails(items, &unavailable)
        }
        StoreError::Unexpected(source) => {
            tracing::warn!(error = %source, size = items.len(), "batch failed; applying its deliveries one by one");
            if let Err(error) = conn.batch_execute("ROLLBACK").await {
                drop(Object::take(conn));
                return each_fails(items, &query_error(error));
            }
            let mut results = Vec::with_capacity(items.len());
            for item in items {
                results.push(apply_one(&mut conn, item).await.map_err(query_error));
            }
            results
        }
    }
}

/// The same failure for every item (store errors are not `Clone`).
fn each_fails(items: &[Item], error: &StoreError) -> Vec<Result<Committed, StoreError>> {
    let message = error.to_string()
        + ": "
        + &std::error::Error::source(error)
            .map(ToString::to_string)
            .unwrap_or_default();
    items
        .iter()
        .map(|_| {
            Err(match error {
                StoreError::Unavailable(_) => StoreError::Unavailable(message.clone().into()),
                StoreError::Unexpected(_) => StoreError::Unexpected(message.clone().into()),
            })
        })
        .collect()
}
