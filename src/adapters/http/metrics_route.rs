//! `GET /metrics`: Prometheus text exposition.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::error::text;
use super::HttpState;
use crate::app::wiring::Wiring;

pub async fn render<W: Wiring>(state: web::Data<HttpState<W>>) -> HttpResponse {
    match &state.metrics {
        Some(handle) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body(handle.render()),
        None => text(StatusCode::NOT_FOUND, "Not Found"),
    }
}
