//! The bearer token of `/trace/*` and `/api/*` (SPEC §5): compared in
//! constant time; without a configured token the routes do not exist.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use constant_time_eq::constant_time_eq;
use secrecy::ExposeSecret;

use super::responses::text;
use super::HttpState;
use crate::app::wiring::Wiring;

/// Why a request is refused before any lookup.
pub enum Refusal {
    /// No trace secret configured: the routes do not exist.
    Hidden,
    Unauthorized,
    InvalidId(&'static str),
}

impl Refusal {
    pub fn response(&self) -> HttpResponse {
        match self {
            Self::Hidden => text(StatusCode::NOT_FOUND, "Not Found"),
            Self::Unauthorized => text(StatusCode::UNAUTHORIZED, "Unauthorized"),
            Self::InvalidId(name) => text(StatusCode::BAD_REQUEST, format!("Invalid {name}")),
        }
    }
}

/// 404 without a configured token, 401 without the right one.
pub fn authorize<W: Wiring>(req: &HttpRequest, state: &HttpState<W>) -> Result<(), Refusal> {
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
