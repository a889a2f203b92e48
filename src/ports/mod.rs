//! Ports: the traits through which the use cases reach the outside world.
//! They speak only in domain types.

pub mod demand;
pub mod event_log;
pub mod installation_lookup;
pub mod job_store;
pub mod staging_forwarder;

pub use demand::{DemandLog, HistoryPage, JobListing, WorkerListing};
pub use event_log::{EventCount, EventLog, EventSummary, EventsPage};
pub use installation_lookup::{InstallationLookup, LookupError};
pub use job_store::{
    Applied, Change, DeliveryRecord, EventRecord, JobStore, PriorOutcome, StoreError,
};
pub use staging_forwarder::{ForwardError, Forwardable, Relayed, StagingForwarder};
