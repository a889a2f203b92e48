//! `/trace/*` (SPEC §5): an entity's delivery log behind a bearer token.
//! Without a configured token the routes answer 404; payloads are only
//! served one at a time by event id.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::bearer::{authorize, Refusal};
use super::event_json::{EventJson, EventsBody};
use super::responses::{store_error, text};
use super::HttpState;
use crate::app::trace as use_case;
use crate::app::wiring::Wiring;
use crate::domain::ids::{EntityId, EventId, InstallationId, JobId};
use crate::ports::{EventSummary, StoreError};

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
