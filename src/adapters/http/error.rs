//! The one error type of the HTTP adapter: plain-text answers (GitHub's
//! delivery log shows them verbatim), and store failures mapped to 503 with
//! `Retry-After` or 500, logged once here with their causes.

use std::fmt;

use actix_web::http::header::{HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::ports::StoreError;

/// Seconds GitHub (or an operator's replay) should wait after a 503.
pub const RETRY_AFTER_SECONDS: &str = "5";

/// Why a request gets no answer of the kind it asked for.
#[derive(Debug)]
pub enum HttpError {
    /// Refused with this status and text.
    Refused { status: StatusCode, text: String },
    /// 401 `Unauthorized` asking for the token as a bearer token, and for a
    /// page also as the password of HTTP Basic (so a browser prompts).
    NeedsToken { page: bool },
    /// Busy: 503 with `Retry-After` and this text.
    Busy(&'static str),
    /// The store failed.
    Store(StoreError),
}

impl HttpError {
    pub fn bad_request(text: impl Into<String>) -> Self {
        Self::refused(StatusCode::BAD_REQUEST, text)
    }

    pub fn not_found(text: impl Into<String>) -> Self {
        Self::refused(StatusCode::NOT_FOUND, text)
    }

    pub fn refused(status: StatusCode, text: impl Into<String>) -> Self {
        Self::Refused {
            status,
            text: text.into(),
        }
    }
}

impl From<StoreError> for HttpError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused { text, .. } => f.write_str(text),
            Self::NeedsToken { .. } => f.write_str("Unauthorized"),
            Self::Busy(text) => f.write_str(text),
            Self::Store(error) => f.write_str(&error_chain(error)),
        }
    }
}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Refused { status, .. } => *status,
            Self::NeedsToken { .. } => StatusCode::UNAUTHORIZED,
            Self::Busy(_) | Self::Store(StoreError::Unavailable(_)) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Store(StoreError::Unexpected(_)) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let body = match self {
            Self::Refused { text, .. } => text.clone(),
            Self::NeedsToken { .. } => "Unauthorized".to_owned(),
            Self::Busy(text) => (*text).to_owned(),
            Self::Store(error @ StoreError::Unavailable(_)) => {
                tracing::warn!(error = %error_chain(error), "database unavailable");
                "Service Unavailable".to_owned()
            }
            Self::Store(error @ StoreError::Unexpected(_)) => {
                tracing::error!(error = %error_chain(error), "database error");
                "Internal Server Error".to_owned()
            }
        };
        let mut response = text(self.status_code(), body);
        let headers = response.headers_mut();
        if self.status_code() == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
        }
        if let Self::NeedsToken { page } = self {
            headers.append(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"ghfe\""),
            );
            if *page {
                let basic = "Basic realm=\"ghfe\", charset=\"UTF-8\"";
                headers.append(WWW_AUTHENTICATE, HeaderValue::from_static(basic));
            }
        }
        response
    }
}

/// A `text/plain; charset=utf-8` response.
pub fn text(status: StatusCode, body: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(body.into())
}

pub use crate::ports::error_chain;
