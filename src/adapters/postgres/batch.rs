//! Group commit: deliveries that arrive while others are being written are
//! applied together by one statement (`apply_batch.sql`), and each is
//! answered once that statement has committed. One commit, one WAL flush
//! and one round trip then carry many deliveries.
//!
//! One statement sees one snapshot, so a batch holds at most one delivery
//! per job and per delivery id; the others wait for the next batch. It is
//! sorted by job id, so every writer takes row locks in the same order. A
//! delivery whose job row another transaction holds (the scheduler keeps
//! its locks for a whole iteration) is answered "blocked" by the statement
//! and tried again, after a growing pause, until its deadline; the others
//! do not wait for it. A batch that fails for anything but a lost database
//! is applied again one delivery at a time, so one bad delivery cannot
//! fail the others.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, timeout, Instant};

use crate::domain::ids::JobId;
use crate::ports::{Applied, StoreError};

use super::batch_statement::{Answer, Item, Writer};
use super::connection::{causes, db_error, Connector};
use super::notifier::Notifier;

/// Deliveries waiting for the worker, at most; more wait for room.
const QUEUE: usize = 4096;
/// The first pause before a blocked delivery is tried again; it doubles up
/// to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(10);
const MAX_PAUSE: Duration = Duration::from_millis(200);

/// A delivery on its way: what to apply, until when, and whom to answer.
#[derive(Debug)]
struct Pending {
    item: Item,
    deadline: Instant,
    reply: oneshot::Sender<Result<Applied, StoreError>>,
    /// Times it was found blocked.
    blocked: u32,
}

/// How the batch worker works.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Deliveries in one batch at most.
    pub max_batch: usize,
    pub connect_timeout: Duration,
    /// How long one statement may take before its connection is dropped.
    pub statement_timeout: Duration,
}

/// The entry point of one batch worker.
#[derive(Debug)]
pub struct Batcher {
    queue: mpsc::Sender<Pending>,
}

impl Batcher {
    /// Starts the worker, which opens a connection of its own and wakes
    /// the scheduler through `notifier`. It ends once the `Batcher` is
    /// dropped and nothing is left to apply.
    pub fn spawn(
        connector: &Connector,
        notifier: Arc<Notifier>,
        options: &BatchOptions,
    ) -> (Self, JoinHandle<()>) {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let worker = Worker {
            connector: connector.clone(),
            notifier,
            options: options.clone(),
            writer: None,
            waiting: Vec::new(),
        };
        (Self { queue }, tokio::spawn(worker.run(receiver)))
    }

    /// Applies `item` with whatever else is waiting; returns after commit,
    /// or `Unavailable` once `deadline` passes. A delivery still queued at
    /// its deadline is never written; one already sent may still commit,
    /// and its redelivery is then answered as a duplicate.
    pub async fn apply(&self, item: Item, deadline: Instant) -> Result<Applied, StoreError> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            item,
            deadline,
            reply,
            blocked: 0,
        };
        let applied = async {
            self.queue
                .send(pending)
                .await
                .map_err(|_| StoreError::Unavailable("store is shutting down".into()))?;
            answer
                .await
                .map_err(|_| StoreError::Unexpected("batch worker stopped".into()))?
        };
        tokio::time::timeout_at(deadline, applied)
            .await
            .unwrap_or_else(|_| Err(super::too_late()))
    }
}

struct Worker {
    connector: Connector,
    notifier: Arc<Notifier>,
    options: BatchOptions,
    writer: Option<Writer>,
    /// Deliveries to try again, and when.
    waiting: Vec<(Instant, Pending)>,
}

impl Worker {
    async fn run(mut self, mut queue: mpsc::Receiver<Pending>) {
        let mut open = true;
        loop {
            let mut batch = self.due();
            if batch.is_empty() {
                let next_try = self.waiting.iter().map(|(at, _)| *at).min();
                if !open && next_try.is_none() {
                    return;
                }
                tokio::select! {
                    received = queue.recv(), if open => match received {
                        Some(pending) => batch.push(pending),
                        None => open = false,
                    },
                    () = sleep_until(next_try.unwrap_or_else(Instant::now)), if next_try.is_some() => {}
                }
                batch.extend(self.due());
            }
            while batch.len() < self.options.max_batch {
                let Ok(pending) = queue.try_recv() else { break };
                batch.push(pending);
            }
            self.commit(batch).await;
        }
    }

    /// The waiting deliveries whose time has come.
    fn due(&mut self) -> Vec<Pending> {
        let now = Instant::now();
        let (due, later) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|(at, _)| *at <= now);
        self.waiting = later;
        due.into_iter().map(|(_, pending)| pending).collect()
    }

    /// Applies the first delivery of each job and delivery id in `batch`,
    /// in job order; the rest are tried again right after.
    async fn commit(&mut self, batch: Vec<Pending>) {
        let now = Instant::now();
        let (mut jobs, mut ids) = (HashSet::new(), HashSet::new());
        let mut round = Vec::with_capacity(batch.len());
        for pending in batch {
            // A caller that went away has answered already, and one past
            // its deadline is answered now: neither is written.
            if pending.deadline <= now {
                drop(pending.reply.send(Err(super::too_late())));
                continue;
            }
            if pending.reply.is_closed() {
                continue;
            }
            let item = &pending.item;
            if item.job().is_none_or(|job| jobs.insert(job))
                && item
                    .delivery_id()
                    .is_none_or(|id| ids.insert(id.to_owned()))
            {
                round.push(pending);
            } else {
                self.waiting.push((now, pending));
            }
        }
        round.sort_by(|a, b| order(&a.item).cmp(&order(&b.item)));
        self.execute(round, true).await;
    }

    /// Applies one round; on a failure that is not the database's
    /// absence, applies each delivery alone when `split` is set.
    async fn execute(&mut self, round: Vec<Pending>, split: bool) {
        if round.is_empty() {
            return;
        }
        let size = f64::from(u32::try_from(round.len()).unwrap_or(u32::MAX));
        metrics::histogram!("ghfe_db_batch_size").record(size);
        let writer = match self.writer().await {
            Ok(writer) => writer,
            Err(error) => return fail_all(round, &error),
        };
        let items: Vec<&Item> = round.iter().map(|pending| &pending.item).collect();
        let result = timeout(self.options.statement_timeout, writer.apply(&items)).await;
        drop(items);
        let answers = match result {
            // The connection may still run the statement: it is dropped, so
            // the server rolls it back once it notices.
            Err(_) => {
                let error = StoreError::Unavailable("the database did not answer in time".into());
                return fail_all(round, &error);
            }
            Ok(Err(error)) => {
                if !writer.is_closed() {
                    self.writer = Some(writer);
                }
                return self.failed(round, db_error(&error), split).await;
            }
            Ok(Ok(answers)) => answers,
        };
        self.writer = Some(writer);
        for (pending, answer) in round.into_iter().zip(answers) {
            match answer {
                Answer::Done {
                    applied,
                    new_pending,
                } => {
                    if let Some(job) = new_pending {
                        self.notifier.wake(job);
                    }
                    drop(pending.reply.send(Ok(applied)));
                }
                Answer::Raced => self.waiting.push((Instant::now(), pending)),
                Answer::Blocked => self.blocked(pending),
            }
        }
    }

    async fn failed(&mut self, round: Vec<Pending>, error: StoreError, split: bool) {
        match error {
            StoreError::Unexpected(source) if split && round.len() > 1 => {
                tracing::warn!(error = %source, size = round.len(), "batch failed; applying its deliveries one by one");
                for pending in round {
                    Box::pin(self.execute(vec![pending], false)).await;
                }
            }
            error => fail_all(round, &error),
        }
    }

    /// Tries `pending` again after a pause, or answers it if the pause
    /// would end past its deadline.
    fn blocked(&mut self, mut pending: Pending) {
        metrics::counter!("ghfe_db_blocked_total").increment(1);
        let pause = FIRST_PAUSE
            .saturating_mul(1 << pending.blocked.min(8))
            .min(MAX_PAUSE);
        pending.blocked += 1;
        let at = Instant::now() + pause;
        if at < pending.deadline {
            self.waiting.push((at, pending));
        } else {
            let error = StoreError::Unavailable(
                "the job's row is locked by another transaction (the scheduler?)".into(),
            );
            drop(pending.reply.send(Err(error)));
        }
    }

    /// The open writer connection, or a new one.
    async fn writer(&mut self) -> Result<Writer, StoreError> {
        if let Some(writer) = self.writer.take().filter(|writer| !writer.is_closed()) {
            return Ok(writer);
        }
        let open = async {
            let client = self.connector.client().await?;
            Writer::prepare(client).await.map_err(|e| db_error(&e))
        };
        timeout(self.options.connect_timeout, open)
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::Unavailable(
                    format!("no connection to {} in time", self.connector.describe()).into(),
                ))
            })
    }
}

/// Job order, deliveries without a job last, by delivery id.
fn order(item: &Item) -> (bool, Option<JobId>, Option<&str>) {
    (item.job().is_none(), item.job(), item.delivery_id())
}

/// The same failure for every delivery (store errors are not `Clone`).
fn fail_all(round: Vec<Pending>, error: &StoreError) {
    let message = causes(error);
    for pending in round {
        let error = match error {
            StoreError::Unavailable(_) => StoreError::Unavailable(message.clone().into()),
            StoreError::Unexpected(_) => StoreError::Unexpected(message.clone().into()),
        };
        drop(pending.reply.send(Err(error)));
    }
}
