//! One group-commit batcher per thread. Each thread that applies deliveries
//! (in production, each HTTP worker) gets its own batch worker and its own
//! connection, opened from that thread, so their I/O tasks run there too.
//! A delivery then stays on one thread from its request to its commit and
//! its answer: no hand-over to another thread and back, each of which costs
//! a wake-up of a sleeping thread (docs/performance.md).
//!
//! The store holds every batcher; a thread holds only weak references, so
//! dropping the store ends the workers once their queues are empty.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use tokio::task::JoinHandle;

use super::batch::{BatchOptions, Batcher};
use super::connection::{Connector, PgOptions};
use super::notifier::Notifier;

/// The batchers of one store, one per thread that has used it.
#[derive(Debug)]
pub struct ThreadBatchers {
    options: BatchOptions,
    connector: Connector,
    notifier: Arc<Notifier>,
    /// Identifies the store in the threads' lists.
    token: Arc<()>,
    batchers: Mutex<Vec<Arc<Batcher>>>,
    /// The worker of every batcher, for the last commits at shutdown.
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

thread_local! {
    /// This thread's batcher for each live store.
    static MINE: RefCell<Vec<(Weak<()>, Weak<Batcher>)>> = const { RefCell::new(Vec::new()) };
}

impl ThreadBatchers {
    pub fn new(options: &PgOptions, connector: Connector, notifier: Arc<Notifier>) -> Self {
        Self {
            options: BatchOptions {
                max_batch: options.batch_max.max(1),
                connect_timeout: options.connect_timeout,
                statement_timeout: options.statement_timeout,
            },
            connector,
            notifier,
            token: Arc::new(()),
            batchers: Mutex::new(Vec::new()),
            tasks: Arc::default(),
        }
    }

    /// The calling thread's batcher, started on first use (its worker is
    /// spawned on the calling runtime).
    pub fn here(&self) -> Arc<Batcher> {
        MINE.with_borrow_mut(|mine| {
            let token = Arc::downgrade(&self.token);
            if let Some(found) = mine
                .iter()
                .find(|(store, _)| store.ptr_eq(&token))
                .and_then(|(_, batcher)| batcher.upgrade())
            {
                return found;
            }
            let (batcher, task) =
                Batcher::spawn(&self.connector, self.notifier.clone(), &self.options);
            let batcher = Arc::new(batcher);
            lock(&self.batchers).push(batcher.clone());
            lock(&self.tasks).push(task);
            // A dead store's entry never matches a live one (its weak
            // reference keeps the address taken), so pruning can wait until
            // an entry is added.
            mine.retain(|(store, _)| store.strong_count() > 0);
            mine.push((token, Arc::downgrade(&batcher)));
            batcher
        })
    }

    /// Waits for every worker to end, which they do once the store is
    /// dropped and their queues are empty. Workers on a runtime that has
    /// already stopped count as ended.
    pub fn finished(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let tasks = self.tasks.clone();
        async move {
            loop {
                let Some(task) = lock(&tasks).pop() else {
                    return;
                };
                drop(task.await);
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
