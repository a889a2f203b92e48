//! The adapters a running ghfe is made of, named once: handlers are
//! generic over a [`Wiring`], and `startup` chooses the production one.

use crate::ports::{DemandLog, EventLog, InstallationLookup, JobStore, StagingForwarder};

/// One choice of adapter per port.
pub trait Wiring: Send + Sync + 'static {
    type Store: JobStore + EventLog + DemandLog + Clone;
    type Forwarder: StagingForwarder;
    type Lookup: InstallationLookup;
}
