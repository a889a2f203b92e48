//! The token of `/trace/*`, `/api/*` and `/deliveries`: an extractor, so a
//! handler that takes [`Authorized`] runs only for the right token. The
//! token is compared in constant time; without a configured token the
//! routes do not exist (404). `/usage`, `/history` and `/stats` take
//! [`PageReader`]: open, or behind a token of their own (`pages.access`).
//!
//! A token comes as `Authorization: Bearer <token>`; the HTML pages also
//! take it as the password of HTTP Basic (any user name), which is what a
//! browser sends once it has prompted for it ([`TracePageReader`] for
//! `/deliveries`).

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use base64::Engine;
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
    token_matches(req, &trace_secret(req)?, Scheme::Bearer).map(|()| Authorized)
}

fn trace_secret(req: &HttpRequest) -> Result<SecretString, HttpError> {
    req.app_data::<web::Data<TraceToken>>()
        .and_then(|token| token.0.clone())
        .filter(|secret| !secret.expose_secret().is_empty())
        .ok_or_else(|| HttpError::not_found("Not Found"))
}

/// Proof that the request carried the trace token, for an HTML page.
#[derive(Debug)]
pub struct TracePageReader;

impl FromRequest for TracePageReader {
    type Error = HttpError;
    type Future = Ready<Result<Self, HttpError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            trace_secret(req)
                .and_then(|secret| token_matches(req, &secret, Scheme::BearerOrBasic))
                .map(|()| TracePageReader),
        )
    }
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
            Some(PagesAccess::Bearer(secret)) => {
                token_matches(req, secret, Scheme::BearerOrBasic).map(|()| PageReader)
            }
        })
    }
}

/// How a route takes its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    /// `/trace/*` and `/api/*`.
    Bearer,
    /// The HTML pages.
    BearerOrBasic,
}

fn token_matches(
    req: &HttpRequest,
    secret: &SecretString,
    scheme: Scheme,
) -> Result<(), HttpError> {
    let token = req
        .headers()
        .get("Authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| presented_token(value, scheme))
        .unwrap_or_default();
    if constant_time_eq(token.as_bytes(), secret.expose_secret().as_bytes()) {
        Ok(())
    } else {
        Err(HttpError::NeedsToken {
            page: scheme == Scheme::BearerOrBasic,
        })
    }
}

/// The token of an `Authorization` value: a bearer token, or for a page the
/// password of Basic credentials.
fn presented_token(value: &str, scheme: Scheme) -> Option<String> {
    if let Some(token) = value.strip_prefix("Bearer ") {
        return Some(token.to_owned());
    }
    if scheme == Scheme::Bearer {
        return None;
    }
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let credentials = String::from_utf8(decoded).ok()?;
    credentials
        .split_once(':')
        .map(|(_, password)| password.to_owned())
}
