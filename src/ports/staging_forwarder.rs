//! Forwarding a delivery to the staging deployment.

use std::future::Future;
use std::sync::Arc;

/// A delivery exactly as received: staging verifies the signature again.
#[derive(Debug, Clone)]
pub struct Forwardable {
    pub body: Arc<[u8]>,
    /// The GitHub headers (`X-GitHub-*`, `X-Hub-Signature*`, `User-Agent`,
    /// `Content-Type`), unchanged.
    pub headers: Vec<(String, String)>,
}

/// Staging's answer, to relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relayed {
    pub status: u16,
    pub body: String,
}

/// A transport error or timeout: staging gave no answer.
#[derive(Debug, thiserror::Error)]
#[error("staging proxy failed: {0}")]
pub struct ForwardError(pub String);

/// Sends deliveries to staging.
pub trait StagingForwarder: Send + Sync + 'static {
    /// Posts the delivery to staging and returns its answer.
    ///
    /// # Errors
    /// [`ForwardError`] when no answer came back in time.
    fn forward(
        &self,
        delivery: &Forwardable,
    ) -> impl Future<Output = Result<Relayed, ForwardError>> + Send;
}
