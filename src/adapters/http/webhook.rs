//! `POST /`: the checks in order (the first failure answers and nothing is
//! written), then the use case; one log line per delivery
//! (docs/behaviour.md, "Webhook deliveries").

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use futures_util::StreamExt;

use super::error::{text, HttpError};
use super::payload::{self, Envelope};
use super::signature::verify;
use super::HttpState;
use crate::app::delivery_record::{Answered, HandleError, Handled};
use crate::app::wiring::Wiring;
use crate::domain::delivery::InvalidDelivery;
use crate::domain::ids::{AppId, DeliveryId};
use crate::domain::outcome::Outcome;
use crate::ports::{Forwardable, StoreError};

/// Why a delivery was refused before or by the use case.
#[derive(Debug)]
enum Rejection {
    NotConfigured,
    TooLarge,
    Unreadable,
    MissingEvent,
    MissingSignature,
    DuplicateSignature,
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
            Self::MissingSignature | Self::DuplicateSignature | Self::BadSignature => {
                "bad_signature"
            }
            Self::Invalid(_) => "invalid_payload",
            Self::Store(StoreError::Unavailable(_)) => "unavailable",
            Self::Store(StoreError::Unexpected(_)) => "error",
        }
    }

    fn response(self) -> HttpResponse {
        let refused = |status: StatusCode, text: &str| HttpError::refused(status, text);
        let error = match self {
            Self::NotConfigured => refused(StatusCode::NOT_FOUND, "Not Found"),
            Self::TooLarge => refused(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large"),
            Self::Unreadable => HttpError::bad_request("Unreadable request body"),
            Self::MissingEvent => HttpError::bad_request("Missing X-GitHub-Event header"),
            Self::MissingSignature => refused(
                StatusCode::UNAUTHORIZED,
                "X-Hub-Signature-256 header is missing!",
            ),
            Self::DuplicateSignature => {
                HttpError::bad_request("More than one X-Hub-Signature-256 header")
            }
            Self::BadSignature => {
                refused(StatusCode::UNAUTHORIZED, "Request signatures didn't match!")
            }
            Self::MissingTarget => {
                HttpError::bad_request("Missing X-GitHub-Hook-Installation-Target-Id header")
            }
            Self::InvalidTarget => {
                HttpError::bad_request("Invalid X-GitHub-Hook-Installation-Target-Id header")
            }
            Self::UnknownApp => HttpError::bad_request("Unknown app id"),
            Self::Invalid(error) => HttpError::bad_request(error.to_string()),
            Self::Store(error) => HttpError::Store(error),
        };
        error.error_response()
    }
}

/// The answer GitHub's delivery log shows for a handled delivery: 200 with
/// the outcome's text, or staging's own answer when relayed.
fn answer(handled: &Handled) -> HttpResponse {
    match &handled.answered {
        Answered::Recorded(outcome) => {
            let status = match outcome {
                Outcome::ProxiedToStaging { status, .. } => {
                    StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY)
                }
                Outcome::StagingProxyFailed => StatusCode::BAD_GATEWAY,
                _ => StatusCode::OK,
            };
            text(status, outcome.message())
        }
        Answered::Duplicate(prior) => text(
            StatusCode::OK,
            format!("Duplicate delivery: {}", prior.message),
        ),
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
    let deadline = started + state.webhook.deadline;
    let result = accept(&req, body, &state, &mut facts, deadline).await;
    let (response, outcome, job_id) = match result {
        Ok(handled) => {
            if matches!(handled.answered, Answered::Duplicate(_)) {
                state.answers.duplicate();
            }
            (
                answer(&handled),
                handled.outcome_code().to_owned(),
                handled.job_id,
            )
        }
        Err(rejection) => {
            state.answers.rejected(rejection.outcome());
            let outcome = rejection.outcome().to_owned();
            metrics::counter!("ghfe_webhook_rejected_total", "reason" => outcome.clone())
                .increment(1);
            (rejection.response(), outcome, None)
        }
    };
    let status = response.status().as_u16();
    let duration = started.elapsed();
    tracing::info!(
        delivery.id = header(&req, "X-GitHub-Delivery"),
        github.event = facts.event.as_deref(),
        github.action = facts.action.as_deref(),
        outcome = outcome.as_str(),
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
    metrics::counter!("ghfe_webhook_deliveries_total", "event" => event_label.clone(), "outcome" => outcome)
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
    deadline: Instant,
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
    let mut signatures = req.headers().get_all("X-Hub-Signature-256");
    let signature = signatures.next().ok_or(Rejection::MissingSignature)?;
    if signatures.next().is_some() {
        return Err(Rejection::DuplicateSignature);
    }
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
    Ok(state.service.handle(delivery, original, deadline).await?)
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
