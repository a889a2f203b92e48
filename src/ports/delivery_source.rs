//! GitHub's delivery log of each App, for redelivery.

use std::future::Future;

use crate::domain::redelivery::Attempt;
use crate::domain::setup::AppKind;

/// One page of an App's delivery attempts, newest first, and the cursor of
/// the next (older) page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptPage {
    pub attempts: Vec<Attempt>,
    pub next: Option<String>,
}

/// Why GitHub did not do what was asked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SourceError {
    /// 400 or 422: GitHub will not redeliver this attempt (too old, say).
    #[error("GitHub refused: {0}")]
    Refused(String),
    /// A primary or secondary rate limit: stop for now.
    #[error("GitHub's rate limit: {0}")]
    RateLimited(String),
    /// Anything else: a timeout, a 5xx, an unusable answer.
    #[error("GitHub failed: {0}")]
    Failed(String),
}

/// The deliveries API of the Apps that have credentials.
pub trait DeliverySource: Send + Sync + 'static {
    /// The Apps with an id and a private key, and their ids.
    fn apps(&self) -> Vec<(AppKind, i64)>;

    /// `GET /app/hook/deliveries`: the newest page without a cursor.
    ///
    /// # Errors
    /// [`SourceError`] for anything but a page.
    fn attempts(
        &self,
        app: AppKind,
        cursor: Option<&str>,
    ) -> impl Future<Output = Result<AttemptPage, SourceError>> + Send;

    /// `POST /app/hook/deliveries/{id}/attempts`: GitHub delivers it again.
    ///
    /// # Errors
    /// [`SourceError`] unless GitHub accepted.
    fn redeliver(
        &self,
        app: AppKind,
        id: u64,
    ) -> impl Future<Output = Result<(), SourceError>> + Send;
}
