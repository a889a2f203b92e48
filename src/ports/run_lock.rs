//! One run at a time across replicas, for the background loops.

use std::future::Future;

use super::StoreError;

/// Named locks that a run holds while it goes on.
pub trait RunLocks: Send + Sync + 'static {
    /// Held while a run goes on; dropping it lets another run start.
    type Lock: Send;

    /// The lock called `name`, or `None` while another run (perhaps
    /// another replica's) holds it.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn try_lock(
        &self,
        name: &'static str,
    ) -> impl Future<Output = Result<Option<Self::Lock>, StoreError>> + Send;

    /// Releases `lock` now, so the next run can take it at once (dropping
    /// it releases it too, but only once the database notices).
    fn unlock(&self, lock: Self::Lock) -> impl Future<Output = ()> + Send;
}
