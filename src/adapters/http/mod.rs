//! The HTTP adapter (actix-web): the webhook route, probes, trace, the
//! delivery-log API, setup, usage, history, stats and deliveries pages, and
//! metrics.
//! Handlers parse and answer; decisions live in `app` and `domain`.

mod answer_counts;
mod api;
mod bearer;
mod charts;
mod deliveries_page;
mod delivery_page;
mod error;
mod event_json;
mod health;
mod history_page;
mod json;
mod json_text;
mod metrics_route;
mod pages;
pub mod payload;
mod rate_limit;
mod setup_pages;
pub mod signature;
mod stats_page;
mod trace;
mod usage_page;
mod webhook;

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use actix_web::{web, HttpResponse};
use metrics_exporter_prometheus::PrometheusHandle;
use secrecy::SecretString;

pub use answer_counts::AnswerCounts;
pub use bearer::{PagesAccess, TraceToken};
pub use pages::Pages;
pub use rate_limit::RateLimit;

use crate::app::delivery_log::DeliveryLog;
use crate::app::setup::SetupService;
use crate::app::trace::Trace;
use crate::app::usage::Demand;
use crate::app::webhook_service::WebhookService;
use crate::app::wiring::Wiring;

/// What the webhook route checks before the use case runs.
#[derive(Debug, Clone)]
pub struct WebhookOptions {
    /// Accepted HMAC secrets; empty means `POST /` answers 404.
    pub secrets: Vec<SecretString>,
    pub max_body_bytes: usize,
    /// When not empty, the only accepted `X-GitHub-Hook-Installation-Target-Id`s.
    pub app_ids: Vec<i64>,
    /// How long after its arrival a delivery is answered at the latest.
    pub deadline: Duration,
}

/// Shared state of every handler.
pub struct HttpState<W: Wiring> {
    pub service: WebhookService<W::Store, W::Forwarder>,
    pub trace: Trace<W::Store>,
    pub log: DeliveryLog<W::Store>,
    pub demand: Demand<W::Store>,
    pub setup: SetupService<W::Lookup>,
    pub pages: Pages,
    pub webhook: WebhookOptions,
    /// `/history`'s default and largest page sizes.
    pub history_limits: (u64, u64),
    pub metrics: Option<PrometheusHandle>,
    /// What `/ready` last answered (so it logs changes only).
    pub ready: AtomicBool,
    /// Duplicates and rejections answered since start.
    pub answers: AnswerCounts,
}

impl<W: Wiring> std::fmt::Debug for HttpState<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpState")
            .field("webhook", &self.webhook)
            .finish_non_exhaustive()
    }
}

/// Registers every route; `limit` guards the scopes it names.
pub fn routes<W: Wiring>(cfg: &mut web::ServiceConfig, limit: &RateLimit) {
    cfg.app_data(web::QueryConfig::default().error_handler(|error, _| {
        let answer = error::text(
            actix_web::http::StatusCode::BAD_REQUEST,
            "Invalid query string",
        );
        actix_web::error::InternalError::from_response(error, answer).into()
    }))
    .service(
        web::resource("/")
            .route(web::post().to(webhook::receive::<W>))
            .default_service(web::to(HttpResponse::MethodNotAllowed)),
    )
    .route("/health", web::get().to(health::health))
    .route("/ready", web::get().to(health::ready::<W>))
    .route("/metrics", web::get().to(metrics_route::render::<W>))
    .route("/usage", web::get().to(usage_page::html::<W>))
    .route("/usage.json", web::get().to(usage_page::json::<W>))
    .route("/history", web::get().to(history_page::html::<W>))
    .route("/history.json", web::get().to(history_page::json::<W>))
    .route("/stats", web::get().to(stats_page::html::<W>))
    .route("/stats.json", web::get().to(stats_page::json::<W>))
    .service(
        web::scope("/deliveries")
            .wrap(limit.middleware())
            .route("", web::get().to(deliveries_page::html::<W>))
            .route("/{id}", web::get().to(delivery_page::html::<W>)),
    )
    .service(
        web::scope("/setup")
            .wrap(limit.middleware())
            .route("/org", web::get().to(setup_pages::org::<W>))
            .route("/personal", web::get().to(setup_pages::personal::<W>)),
    )
    .service(
        web::scope("/trace")
            .wrap(limit.middleware())
            .route("/entity/{id}", web::get().to(trace::entity::<W>))
            .route(
                "/installation/{id}",
                web::get().to(trace::installation::<W>),
            )
            .route("/job/{id}", web::get().to(trace::job::<W>))
            .route("/payload/{id}", web::get().to(trace::payload::<W>)),
    )
    .service(
        web::scope("/api/webhooks")
            .wrap(limit.middleware())
            .route("/events", web::get().to(api::events::<W>))
            .route("/statistics", web::get().to(api::statistics::<W>))
            .route("/stream", web::get().to(api::stream::<W>)),
    )
    .default_service(web::to(|| async {
        error::text(actix_web::http::StatusCode::NOT_FOUND, "Not Found")
    }));
}
