//! Plain-text answers (GitHub's delivery log shows them verbatim) and the
//! mapping of store failures to 503/500, logged once here.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use crate::ports::StoreError;

/// Seconds GitHub (or an operator's replay) should wait after a 503.
pub const RETRY_AFTER_SECONDS: &str = "5";

/// A `text/plain; charset=utf-8` response.
pub fn text(status: StatusCode, body: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(body.into())
}

/// 503 with `Retry-After` for an unreachable database, 500 otherwise;
/// generic bodies, the cause goes to the log.
pub fn store_error(error: &StoreError) -> HttpResponse {
    match error {
        StoreError::Unavailable(_) => {
            tracing::warn!(error = %error_chain(error), "database unavailable");
            HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE)
                .content_type("text/plain; charset=utf-8")
                .insert_header(("Retry-After", RETRY_AFTER_SECONDS))
                .body("Service Unavailable")
        }
        StoreError::Unexpected(_) => {
            tracing::error!(error = %error_chain(error), "database error");
            text(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}

/// `error: cause: cause…` for logs.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
