//! Delivery-log rows as `/trace/*` and `/api/webhooks/*` show them.

use chrono::SecondsFormat;
use serde::Serialize;

use crate::ports::EventSummary;

/// `{"events":[…]}`.
#[derive(Serialize)]
pub struct EventsBody {
    pub events: Vec<EventJson>,
}

/// A delivery-log row without its payload.
#[derive(Serialize)]
pub struct EventJson {
    id: i64,
    source: String,
    event: String,
    outcome: String,
    delivery_id: Option<String>,
    installation_id: Option<i64>,
    app_id: Option<i64>,
    entity_type: Option<String>,
    entity_id: Option<i64>,
    entity_name: Option<String>,
    job_id: Option<i64>,
    repo_full_name: Option<String>,
    received_at: String,
}

impl From<EventSummary> for EventJson {
    fn from(event: EventSummary) -> Self {
        Self {
            id: event.id.0,
            source: event.source,
            event: event.event,
            outcome: event.outcome,
            delivery_id: event.delivery_id,
            installation_id: event.installation_id.map(|id| id.0),
            app_id: event.app_id.map(|id| id.0),
            entity_type: event.entity_type,
            entity_id: event.entity_id.map(|id| id.0),
            entity_name: event.entity_name,
            job_id: event.job_id.map(|id| id.0),
            repo_full_name: event.repo_full_name,
            received_at: event
                .received_at
                .to_rfc3339_opts(SecondsFormat::Micros, true),
        }
    }
}
