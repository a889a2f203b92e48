//! Liveness and readiness probes.

use std::sync::atomic::Ordering;

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
/// this ghfe needs; else 503 saying why. Logged when readiness changes,
/// not on every probe.
pub async fn ready<W: Wiring>(state: web::Data<HttpState<W>>) -> HttpResponse {
    let result = state.service.ready().await;
    let was_ready = state.ready.swap(result.is_ok(), Ordering::Relaxed);
    match result {
        Ok(()) => {
            if !was_ready {
                tracing::info!("ready");
            }
            text(StatusCode::OK, "ready")
        }
        Err(error) => {
            let reason = error_chain(&error);
            if was_ready {
                tracing::warn!(error = %reason, "not ready");
            }
            text(StatusCode::SERVICE_UNAVAILABLE, reason)
        }
    }
}
