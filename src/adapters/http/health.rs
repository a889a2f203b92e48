//! Liveness and readiness probes.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::error::{error_chain, text};
use super::HttpState;
use crate::app::wiring::Wiring;

/// `GET /health`: the process answers; no database access.
pub async fn health() -> HttpResponse {
    text(StatusCode::OK, "ok")
}

/// `GET /ready`: 200 when the database answers, promptly, with the schema
/// this ghfe needs; else 503 saying why.
pub async fn ready<W: Wiring>(state: web::Data<HttpState<W>>) -> HttpResponse {
    match state.service.ready().await {
        Ok(()) => text(StatusCode::OK, "ready"),
        Err(error) => {
            let reason = error_chain(&error);
            tracing::warn!(error = %reason, "not ready");
            text(StatusCode::SERVICE_UNAVAILABLE, reason)
        }
    }
}
