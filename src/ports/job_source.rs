//! GitHub's jobs API, as the installation a job belongs to.

use std::future::Future;

use crate::domain::ids::{InstallationId, JobId};
use crate::domain::reconcile::JobLookup;

use super::SourceError;

/// An answer and what is left of the installation's rate limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobAnswer {
    pub lookup: JobLookup,
    /// (`X-RateLimit-Remaining`, `X-RateLimit-Limit`), when GitHub sent them.
    pub quota: Option<(u64, u64)>,
}

/// Looks jobs up with installation tokens.
pub trait JobSource: Send + Sync + 'static {
    /// `GET /repos/{repo}/actions/jobs/{job}` as `installation`.
    ///
    /// # Errors
    /// [`SourceError`] when no answer about the job came (a rate limit, no
    /// token, a failure).
    fn job(
        &self,
        installation: InstallationId,
        repo: &str,
        job: JobId,
    ) -> impl Future<Output = Result<JobAnswer, SourceError>> + Send;
}
