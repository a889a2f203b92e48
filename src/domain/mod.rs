//! The pure core of ghfe: what a delivery means and what it changes.
//!
//! Nothing here performs I/O or knows about HTTP, SQL or async; every rule
//! of docs/behaviour.md (the job state machine, label routing, payload
//! trimming, outcomes) lives here and is tested with tables.

pub mod delivery;
pub mod deployment;
pub mod event_query;
pub mod glob;
pub mod history;
pub mod ids;
pub mod job;
pub mod labels;
pub mod outcome;
pub mod reconcile;
pub mod redelivery;
pub mod routing;
pub mod run;
pub mod setup;
pub mod staging;
pub mod stats;
pub mod trim;
