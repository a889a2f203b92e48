//! Ports: the traits through which the use cases reach the outside world.
//! They speak only in domain types.

pub mod event_log;
pub mod job_store;

pub use event_log::{EventLog, EventSummary};
pub use job_store::{
    Applied, Change, DeliveryRecord, EventRecord, JobStore, PriorOutcome, StoreError,
};
