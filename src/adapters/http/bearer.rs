//! The bearer token of `/trace/*` and `/api/*`: an extractor, so a handler
//! that takes [`Authorized`] runs only for the right token. The token is
//! compared in constant time; without a configured token the routes do not
//! exist (404). `/usage` and `/history` take [`PageReader`]: open, or behind
//! a bearer token of their own (`pages.access`).

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};
use constant_time_eq::constant_time_eq;
use secrecy::{ExposeSecret, SecretString};

use super::error::HttpError;

/// The configured trace token; an empty one counts as none.
#[derive(Debug, Clone)]
pub struct TraceToken(pub Option<SecretString>);

/// Proof that the request carried the trace token.
#[derive(Debug)]
pub struct Authorized;

impl FromRequest for Authorized {
    type Error = HttpError;
    type Future = Ready<Result<Self, HttpError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authorize(req))
    }
}

fn authorize(req: &HttpRequest) -> Result<Authorized, HttpError> {
    let secret = req
        .app_data::<web::Data<TraceToken>>()
        .and_then(|token| token.0.clone())
        .filter(|secret| !secret.expose_secret().is_empty())
        .ok_or_else(|| HttpError::not_found("Not Found"))?;
    bearer_matches(req, &secret).map(|()| Authorized)
}

/// Who may read the operator pages.
#[derive(Debug, Clone)]
pub enum PagesAccess {
    Public,
    /// Requests must carry this bearer token.
    Bearer(SecretString),
}

/// Proof that the request may read the operator pages.
#[derive(Debug)]
pub struct PageReader;

impl FromRequest for PageReader {
    type Error = HttpError;
    type Future = Ready<Result<Self, HttpError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let access = req.app_data::<web::Data<PagesAccess>>();
        ready(match access.map(web::Data::get_ref) {
            None | Some(PagesAccess::Public) => Ok(PageReader),
            Some(PagesAccess::Bearer(secret)) => bearer_matches(req, secret).map(|()| PageReader),
        })
    }
}

fn bearer_matches(req: &HttpRequest, secret: &SecretString) -> Result<(), HttpError> {
    let token = req
        .headers()
        .get("Authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if constant_time_eq(token.as_bytes(), secret.expose_secret().as_bytes()) {
        Ok(())
    } else {
        Err(HttpError::refused(StatusCode::UNAUTHORIZED, "Unauthorized"))
    }
}
