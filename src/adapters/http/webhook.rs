//! `POST /`: the checks of SPEC §1.1 in order (the first failure answers
//! and nothing is written), then the use case; one log line per delivery.

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use super::payload::{self, Envelope};
use super::responses::{store_error, text};
use super::signature::verify;
use super::HttpState;
use crate::app::webhook_service::{HandleError, Handled};
use crate::app::wiring::Wiring;
use crate::domain::delivery::InvalidDelivery;
use crate::domain::ids::{AppId, DeliveryId};
use crate::ports::{Forwardable, StoreError};

/// Why a delivery was refused before or by the use case.
#[derive(Debug)]
enum Rejection {
    NotConfigured,
    TooLarge,
    Unreadable,
    MissingEvent,
    MissingSignature,
    BadSignature,
    MissingTarget,
    InvalidTarget,
    UnknownApp,
    Invalid(InvalidDelivery),
    Store(StoreError),
}

impl Rejection {
    /// The outcome label used in logs and metrics.
    fn outcome(&self) -> &'static str {
        match self {
            Self::NotConfigured => "not_configured",
            Self::TooLarge => "too_large",
            Self::Unreadable => "unreadable_body",
            Self::MissingEvent | Self::MissingTarget | Self::InvalidTarget | Self::UnknownApp => {
                "bad_headers"
            }
            Self::MissingSignature | Self::BadSignature => "bad_signature",
            Self::Invalid(_) => "invalid_payload",
            Self::Store(StoreError::Unavailable(_)) => "unavailable",
            Self::Store(StoreError::Unexpected(_)) => "error",
        }
    }

    fn response(&self) -> HttpResponse {
        let (status, body) = match self {
            Self::NotConfigured => (StatusCode::NOT_FOUND, "Not Found".to_owned()),
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload Too Large".to_owned(),
            ),
            Self::Unreadable => (
                StatusCode::BAD_REQUEST,
                "Unreadable request body".to_owned(),
            ),
            Self::MissingEvent => (
                StatusCode::BAD_REQUEST,
                "Missing X-GitHub-Event header".to_owned(),
            ),
            Self::MissingSignature => (
                StatusCode::UNAUTHORIZED,
                "X-Hub-Signature-256 header is missing!".to_owned(),
            ),
            Self::BadSignature => (
                StatusCode::UNAUTHORIZED,
                "Request signatures didn't match!".to_owned(),
            ),
            Self::MissingTarget => (
                StatusCode::BAD_REQUEST,
                "Missing X-GitHub-Hook-Installation-Target-Id header".to_owned(),
            ),
            Self::InvalidTarget => (
                StatusCode::BAD_REQUEST,
                "Invalid X-GitHub-Hook-Installation-Target-Id header".to_owned(),
            ),
            Self::UnknownApp => (StatusCode::BAD_REQUEST, "Unknown app id".to_owned()),
            Self::Invalid(error) => (StatusCode::BAD_REQUEST, error.to_string()),
            Self::Store(error) => return store_error(error),
        };
        text(status, body)
    }
}

impl From<HandleError> for Rejection {
    fn from(error: HandleError) -> Self {
        match error {
            HandleError::Invalid(invalid) => Self::Invalid(invalid),
            HandleError::Store(store) => Self::Store(store),
        }
    }
}

/// What the log line and metrics say about a delivery.
#[derive(Debug, Default)]
struct Facts {
    event: Option<String>,
    action: Option<String>,
    verified: bool,
}

/// The `POST /` handler.
pub async fn receive<W: Wiring>(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<HttpState<W>>,
) -> HttpResponse {
    let started = Instant::now();
    let mut facts = Facts::default();
    let result = accept(&req, body, &state, &mut facts).await;
    let (response, outcome, job_id) = match &result {
        Ok(handled) => (
            text(
                StatusCode::from_u16(handled.status).unwrap_or(StatusCode::BAD_GATEWAY),
                handled.text.clone(),
            ),
            handled.outcome.as_str(),
            handled.job_id,
        ),
        Err(rejection) => (rejection.response(), rejection.outcome(), None),
    };
    let status = response.status().as_u16();
    let duration = started.elapsed();
    tracing::info!(
        delivery.id = header(&req, "X-GitHub-Delivery"),
        github.event = facts.event.as_deref(),
        github.action = facts.action.as_deref(),
        outcome,
        job.id = job_id.map(|id| id.0),
        http.status = status,
        duration_ms = (duration.as_secs_f64() * 1e6).round() / 1e3,
        "delivery"
    );
    // Only a verified sender chooses the event label: no unbounded series.
    let event_label = if facts.verified {
        facts.event.unwrap_or_default()
    } else {
        "unverified".to_owned()
    };
    metrics::counter!("ghfe_webhook_deliveries_total", "event" => event_label.clone(), "outcome" => outcome.to_owned())
        .increment(1);
    metrics::histogram!("ghfe_webhook_duration_seconds", "event" => event_label)
        .record(duration.as_secs_f64());
    response
}

async fn accept<W: Wiring>(
    req: &HttpRequest,
    body: web::Payload,
    state: &HttpState<W>,
    facts: &mut Facts,
) -> Result<Handled, Rejection> {
    let options = &state.webhook;
    if options.secrets.is_empty() {
        return Err(Rejection::NotConfigured);
    }
    let body = read_body(req, body, options.max_body_bytes).await?;
    let event = header(req, "X-GitHub-Event")
        .filter(|event| !event.is_empty())
        .ok_or(Rejection::MissingEvent)?;
    facts.event = Some(event.to_owned());
    let signature = req
        .headers()
        .get("X-Hub-Signature-256")
        .ok_or(Rejection::MissingSignature)?;
    if !verify(&body, signature.as_bytes(), &options.secrets) {
        metrics::counter!("ghfe_signature_failures_total").increment(1);
        return Err(Rejection::BadSignature);
    }
    facts.verified = true;
    let target =
        header(req, "X-GitHub-Hook-Installation-Target-Id").ok_or(Rejection::MissingTarget)?;
    let app_id = target
        .parse::<i64>()
        .map_err(|_| Rejection::InvalidTarget)?;
    if !options.app_ids.is_empty() && !options.app_ids.contains(&app_id) {
        return Err(Rejection::UnknownApp);
    }

    let envelope = Envelope {
        event: event.to_owned(),
        delivery_id: header(req, "X-GitHub-Delivery")
            .filter(|id| !id.is_empty())
            .map(|id| DeliveryId(id.to_owned())),
        app_id: AppId(app_id),
    };
    let delivery = payload::read(envelope, &body).map_err(Rejection::Invalid)?;
    facts.action = delivery.action().map(str::to_owned);
    let original = || forwardable(req, &body);
    Ok(state.service.handle(delivery, original).await?)
}

/// Reads the body, refusing more than `limit` bytes — on `Content-Length`
/// before reading anything, and while streaming otherwise.
async fn read_body(
    req: &HttpRequest,
    mut body: web::Payload,
    limit: usize,
) -> Result<web::Bytes, Rejection> {
    let declared = header(req, "Content-Length").and_then(|length| length.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(Rejection::TooLarge);
    }
    let mut bytes = web::BytesMut::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|_| Rejection::Unreadable)?;
        if bytes.len() + chunk.len() > limit {
            return Err(Rejection::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.freeze())
}

/// The delivery as received, for the staging proxy: the body and the
/// headers GitHub set, unchanged (staging verifies the signature again).
fn forwardable(req: &HttpRequest, body: &[u8]) -> Forwardable {
    let headers = req
        .headers()
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            name.starts_with("x-github-")
                || name.starts_with("x-hub-signature")
                || name == "user-agent"
                || name == "content-type"
        })
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    Forwardable {
        body: body.into(),
        headers,
    }
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}
