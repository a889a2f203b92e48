//! Liveness and readiness probes.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::responses::{error_chain, text};
use super::HttpState;
use crate::app::wiring::Wiring;
use crate::ports::JobStore;

/// `GET /health`: the process answers; no database access.
pub async fn health() -> HttpResponse {
    text(StatusCode::OK, "ok")
}

/// `GET /ready`: 200 when the database answers, else 503.
pub async fn ready<W: Wiring>(state: web::Data<HttpState<W>>) -> HttpResponse {
    match state.service.store().check().await {
        Ok(()) => text(StatusCode::OK, "ready"),
        Err(error) => {
            tracing::warn!(error = %error_chain(&error), "not ready");
            text(StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
