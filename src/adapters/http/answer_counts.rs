//! What this replica answered that left no row in the delivery log:
//! duplicates and rejected deliveries, by reason, since it started.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// Counts kept in memory, for `/deliveries`.
#[derive(Debug, Default)]
pub struct AnswerCounts {
    duplicates: AtomicU64,
    rejected: Mutex<BTreeMap<&'static str, u64>>,
}

impl AnswerCounts {
    pub fn duplicate(&self) {
        self.duplicates.fetch_add(1, Ordering::Relaxed);
    }

    pub fn rejected(&self, reason: &'static str) {
        *self
            .rejected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(reason)
            .or_default() += 1;
    }

    /// (duplicates, rejections by reason).
    pub fn read(&self) -> (u64, BTreeMap<&'static str, u64>) {
        let rejected = self
            .rejected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        (self.duplicates.load(Ordering::Relaxed), rejected)
    }
}
