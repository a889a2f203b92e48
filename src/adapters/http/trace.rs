//! `/trace/*` (SPEC §5): an entity's delivery log behind a bearer token.
//! Without a configured token the routes answer 404; payloads are only
//! served one at a time by event id.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::SecondsFormat;
use constant_time_eq::constant_time_eq;
use secrecy::ExposeSecret;
use serde::Serialize;

use super::responses::{store_error, text};
use super::HttpState;
use crate::app::trace as use_case;
use crate::app::wiring::Wiring;
use crate::domain::ids::{EntityId, EventId, InstallationId, JobId};
use crate::ports::{EventSummary, StoreError};

#[derive(Serialize)]
struct EventsBody {
    events: Vec<EventJson>,
}

#[derive(Serialize)]
struct EventJson {
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

/// Why a trace request is refused before any lookup.
enum Refusal {
    /// No trace secret configured: the routes do not exist.
    Hidden,
    Unauthorized,
    InvalidId(&'static str),
}

impl Refusal {
    fn response(&self) -> HttpResponse {
        match self {
            Self::Hidden => text(StatusCode::NOT_FOUND, "Not Found"),
            Self::Unauthorized => text(StatusCode::UNAUTHORIZED, "Unauthorized"),
            Self::InvalidId(name) => text(StatusCode::BAD_REQUEST, format!("Invalid {name}")),
        }
    }
}

/// 404 without a configured token, 401 without the right one.
fn authorize<W: Wiring>(req: &HttpRequest, state: &HttpState<W>) -> Result<(), Refusal> {
    let Some(secret) = &state.trace_secret else {
        return Err(Refusal::Hidden);
    };
    let token = req
        .headers()
        .get("Authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if constant_time_eq(token.as_bytes(), secret.expose_secret().as_bytes()) {
        Ok(())
    } else {
        Err(Refusal::Unauthorized)
    }
}

/// Checks the token, then parses the positive id named `name`.
fn authorized_id<W: Wiring>(
    req: &HttpRequest,
    state: &HttpState<W>,
    raw: &str,
    name: &'static str,
) -> Result<i64, Refusal> {
    authorize(req, state)?;
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(Refusal::InvalidId(name))
}

fn events_answer(result: Result<Vec<EventSummary>, StoreError>) -> HttpResponse {
    match result {
        Ok(events) => HttpResponse::Ok().json(EventsBody {
            events: events.into_iter().map(EventJson::from).collect(),
        }),
        Err(error) => store_error(&error),
    }
}

async fn entity_answer<W: Wiring>(
    state: &HttpState<W>,
    entity: Result<Option<EntityId>, StoreError>,
    not_found: &str,
) -> HttpResponse {
    match entity {
        Ok(Some(entity)) => {
            events_answer(use_case::entity_events(state.service.store(), entity).await)
        }
        Ok(None) => text(StatusCode::NOT_FOUND, not_found),
        Err(error) => store_error(&error),
    }
}

/// `GET /trace/entity/{entity_id}`
pub async fn entity<W: Wiring>(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<HttpState<W>>,
) -> HttpResponse {
    match authorized_id(&req, &state, &path, "entity_id") {
        Ok(id) => events_answer(use_case::entity_events(state.service.store(), EntityId(id)).await),
        Err(refusal) => refusal.response(),
    }
}

/// `GET /trace/installation/{installation_id}`
pub async fn installation<W: Wiring>(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<HttpState<W>>,
) -> HttpResponse {
    match authorized_id(&req, &state, &path, "installation_id") {
        Ok(id) => {
            let entity =
                use_case::installation_entity(state.service.store(), InstallationId(id)).await;
            entity_answer(&state, entity, "Entity not found").await
        }
        Err(refusal) => refusal.response(),
    }
}

/// `GET /trace/job/{job_id}`
pub async fn job<W: Wiring>(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<HttpState<W>>,
) -> HttpResponse {
    match authorized_id(&req, &state, &path, "job_id") {
        Ok(id) => {
            let entity = use_case::job_entity(state.service.store(), JobId(id)).await;
            entity_answer(&state, entity, "Job not found").await
        }
        Err(refusal) => refusal.response(),
    }
}

/// `GET /trace/payload/{event_id}`
pub async fn payload<W: Wiring>(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<HttpState<W>>,
) -> HttpResponse {
    match authorized_id(&req, &state, &path, "event_id") {
        Ok(id) => match use_case::payload(state.service.store(), EventId(id)).await {
            Ok(Some(payload)) => HttpResponse::Ok().json(serde_json::json!({ "payload": payload })),
            Ok(None) => text(StatusCode::NOT_FOUND, "Payload not found"),
            Err(error) => store_error(&error),
        },
        Err(refusal) => refusal.response(),
    }
}
