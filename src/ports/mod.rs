//! Ports: the traits through which the use cases reach the outside world.
//! They speak only in domain types.

pub mod delivery_source;
pub mod demand;
pub mod event_log;
pub mod installation_lookup;
pub mod job_source;
pub mod job_store;
pub mod reconcile_log;
pub mod redelivery_log;
pub mod retention;
pub mod run_lock;
pub mod staging_forwarder;

pub use delivery_source::{AttemptPage, DeliverySource, SourceError};

pub use demand::{DemandLog, HistoryPage, IgnoredJob, JobListing, WorkerListing};
pub use event_log::{EventCount, EventLog, EventSummary, EventsPage};
pub use installation_lookup::{InstallationLookup, LookupError};
pub use job_source::{JobAnswer, JobSource};
pub use job_store::{
    Applied, Change, DeliveryRecord, EventRecord, EventSource, JobStore, PriorOutcome, StoreError,
};
pub use reconcile_log::{ReconcileLog, StaleJob};
pub use redelivery_log::RedeliveryLog;
pub use retention::Prunable;
pub use run_lock::RunLocks;
pub use staging_forwarder::{ForwardError, Forwardable, Relayed, StagingForwarder};

/// `error: cause: cause…` for logs.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
