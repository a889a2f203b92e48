//! GitHub's view of an App installation, for the setup pages.

use std::future::Future;

use crate::domain::ids::InstallationId;
use crate::domain::setup::{AppKind, Installation};

/// Why GitHub could not say: an HTTP failure, a timeout, an unusable
/// answer, or an App without credentials.
#[derive(Debug, thiserror::Error)]
#[error("installation lookup failed: {0}")]
pub struct LookupError(pub String);

/// Looks installations up as one of the two Apps.
pub trait InstallationLookup: Send + Sync + 'static {
    /// `GET /app/installations/{id}` authenticated as `app`.
    ///
    /// # Errors
    /// [`LookupError`] for anything but an answer (found: `Some`, GitHub's
    /// 404: `None`).
    fn installation(
        &self,
        app: AppKind,
        id: InstallationId,
    ) -> impl Future<Output = Result<Option<Installation>, LookupError>> + Send;
}
