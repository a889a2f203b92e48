//! The HTTP adapter (actix-web): the webhook route, probes, trace and
//! metrics. Handlers parse and answer; decisions live in `app` and `domain`.

mod health;
mod json;
mod metrics_route;
pub mod payload;
mod responses;
pub mod signature;
mod trace;
mod webhook;

use actix_web::{web, HttpResponse};
use metrics_exporter_prometheus::PrometheusHandle;
use secrecy::SecretString;

use crate::app::webhook_service::WebhookService;
use crate::ports::{EventLog, JobStore};

/// What the webhook route checks before the use case runs.
#[derive(Debug, Clone)]
pub struct WebhookOptions {
    /// Accepted HMAC secrets; empty means `POST /` answers 404.
    pub secrets: Vec<SecretString>,
    pub max_body_bytes: usize,
    /// When not empty, the only accepted `X-GitHub-Hook-Installation-Target-Id`s.
    pub app_ids: Vec<i64>,
}

/// Shared state of every handler.
#[derive(Debug)]
pub struct HttpState<S> {
    pub service: WebhookService<S>,
    pub webhook: WebhookOptions,
    /// Bearer token of `/trace/*`; `None` hides the routes (404).
    pub trace_secret: Option<SecretString>,
    pub metrics: Option<PrometheusHandle>,
}

/// Registers every route of SPEC §1 and §5 served by this adapter.
pub fn routes<S: JobStore + EventLog>(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/")
            .route(web::post().to(webhook::receive::<S>))
            .default_service(web::to(HttpResponse::MethodNotAllowed)),
    )
    .route("/health", web::get().to(health::health))
    .route("/ready", web::get().to(health::ready::<S>))
    .route("/metrics", web::get().to(metrics_route::render::<S>))
    .service(
        web::scope("/trace")
            .route("/entity/{id}", web::get().to(trace::entity::<S>))
            .route(
                "/installation/{id}",
                web::get().to(trace::installation::<S>),
            )
            .route("/job/{id}", web::get().to(trace::job::<S>))
            .route("/payload/{id}", web::get().to(trace::payload::<S>)),
    )
    .default_service(web::to(|| async {
        responses::text(actix_web::http::StatusCode::NOT_FOUND, "Not Found")
    }));
}
