//! `/trace/*`: an entity's delivery log behind the bearer token. Payloads
//! are only served one at a time, by event id.

use actix_web::{web, HttpResponse};

use super::bearer::Authorized;
use super::error::HttpError;
use super::event_json::{EventJson, EventsBody};
use super::HttpState;
use crate::app::wiring::Wiring;
use crate::domain::ids::{EntityId, EventId, InstallationId, JobId};
use crate::ports::EventSummary;

/// A positive id from a path segment, else 400 `Invalid <name>`.
fn positive_id(raw: &str, name: &str) -> Result<i64, HttpError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| HttpError::bad_request(format!("Invalid {name}")))
}

fn events(events: Vec<EventSummary>) -> HttpResponse {
    HttpResponse::Ok().json(EventsBody {
        events: events.into_iter().map(EventJson::from).collect(),
    })
}

/// `GET /trace/entity/{entity_id}`
pub async fn entity<W: Wiring>(
    _: Authorized,
    path: web::Path<String>,
    state: web::Data<HttpState<W>>,
) -> Result<HttpResponse, HttpError> {
    let id = EntityId(positive_id(&path, "entity_id")?);
    Ok(events(state.trace.entity_events(id).await?))
}

/// `GET /trace/installation/{installation_id}`
pub async fn installation<W: Wiring>(
    _: Authorized,
    path: web::Path<String>,
    state: web::Data<HttpState<W>>,
) -> Result<HttpResponse, HttpError> {
    let id = InstallationId(positive_id(&path, "installation_id")?);
    let found = state.trace.installation_events(id).await?;
    found
        .map(events)
        .ok_or_else(|| HttpError::not_found("Entity not found"))
}

/// `GET /trace/job/{job_id}`
pub async fn job<W: Wiring>(
    _: Authorized,
    path: web::Path<String>,
    state: web::Data<HttpState<W>>,
) -> Result<HttpResponse, HttpError> {
    let id = JobId(positive_id(&path, "job_id")?);
    let found = state.trace.job_events(id).await?;
    found
        .map(events)
        .ok_or_else(|| HttpError::not_found("Job not found"))
}

/// `GET /trace/payload/{event_id}`
pub async fn payload<W: Wiring>(
    _: Authorized,
    path: web::Path<String>,
    state: web::Data<HttpState<W>>,
) -> Result<HttpResponse, HttpError> {
    let id = EventId(positive_id(&path, "event_id")?);
    match state.trace.payload(id).await? {
        Some(payload) => Ok(HttpResponse::Ok().json(serde_json::json!({ "payload": payload }))),
        None => Err(HttpError::not_found("Payload not found")),
    }
}
