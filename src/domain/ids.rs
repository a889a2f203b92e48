//! Newtypes for the identifiers that flow through ghfe, so a job id can never
//! be passed where an installation id is expected.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// GitHub's `workflow_job.id`, the primary key of `jobs`.
    JobId
);
id_type!(
    /// The stable account id of an organization or user (`repository.owner.id`).
    EntityId
);
id_type!(
    /// A GitHub App installation id.
    InstallationId
);
id_type!(
    /// GitHub's `workflow_run.id`.
    RunId
);
id_type!(
    /// A GitHub App id (`X-GitHub-Hook-Installation-Target-Id`).
    AppId
);
id_type!(
    /// The id of one `installation_events` row.
    EventId
);

/// The `X-GitHub-Delivery` GUID: identical on every redelivery of one event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeliveryId(pub String);

impl fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
