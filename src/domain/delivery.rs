//! Typed deliveries: what each GitHub event carries once its
//! headers and signature are verified and its JSON has been read.

use std::fmt;

use super::ids::{AppId, DeliveryId, EntityId, InstallationId};
use super::job::JobFacts;
use super::run::RunReport;

/// The account a delivery is about (`entity_*` columns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    /// `Organization` or `User` for jobs; the installation's target type
    /// for installation events.
    pub kind: String,
    pub id: EntityId,
    pub name: String,
}

/// Context every event row records when the payload has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub installation_id: Option<InstallationId>,
    pub entity: Option<Entity>,
    pub repo_full_name: Option<String>,
}

/// A verified delivery, ready for the webhook use case.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The raw `X-GitHub-Event` value.
    pub event: String,
    pub delivery_id: Option<DeliveryId>,
    pub app_id: AppId,
    pub context: Context,
    pub kind: DeliveryKind,
}

impl Delivery {
    /// The payload's `action`, for the events that have one.
    pub fn action(&self) -> Option<&str> {
        match &self.kind {
            DeliveryKind::Installation { action, .. }
            | DeliveryKind::WorkflowRun { action, .. } => Some(action),
            DeliveryKind::WorkflowJob(job) => Some(&job.action),
            DeliveryKind::Ping { .. } | DeliveryKind::Other { .. } => None,
        }
    }
}

/// The event-specific part of a delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryKind {
    Ping {
        body: String,
    },
    /// `installation`, `installation_repositories`, `installation_target`.
    Installation {
        action: String,
        body: String,
    },
    WorkflowJob(Box<JobDelivery>),
    WorkflowRun {
        action: String,
        run: RunReport,
        body: String,
    },
    /// Any other event: recorded and ignored.
    Other {
        body: String,
    },
}

/// A `workflow_job` delivery before routing.
#[derive(Debug, Clone, PartialEq)]
pub struct JobDelivery {
    /// The raw `action` (not only the three ghfe acts on).
    pub action: String,
    pub job: JobFacts,
    /// Labels as sent (for the minimal payload of an unrouted job).
    pub raw_labels: Vec<String>,
    /// The payload as stored: trimmed (docs/behaviour.md, "Stored payloads").
    pub trimmed: String,
}

/// Why a payload was refused with 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidDelivery {
    NotAnObject,
    /// JSON nested deeper than this many levels.
    NestedTooDeep(usize),
    MissingField(&'static str),
    InvalidField(&'static str),
    UnsupportedOwnerType(String),
}

impl fmt::Display for InvalidDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnObject => f.write_str("Invalid JSON payload"),
            Self::NestedTooDeep(levels) => {
                write!(
                    f,
                    "Invalid JSON payload: nested deeper than {levels} levels"
                )
            }
            Self::MissingField(path) => write!(f, "Missing field: {path}"),
            Self::InvalidField(path) => write!(f, "Invalid field: {path}"),
            Self::UnsupportedOwnerType(kind) => write!(f, "Unsupported owner type: {kind}"),
        }
    }
}

impl std::error::Error for InvalidDelivery {}
