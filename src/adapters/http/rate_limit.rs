//! Per-client rate limiting of `/setup/*`, `/trace/*` and `/api/*`:
//! 429 with `Retry-After` past the limit. The webhook route is never
//! limited.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_extensible_rate_limit::backend::memory::InMemoryBackend;
use actix_extensible_rate_limit::backend::{SimpleInput, SimpleInputFunctionBuilder, SimpleOutput};
use actix_extensible_rate_limit::RateLimiter;
use actix_web::dev::ServiceRequest;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::HttpResponse;

/// The limit, and the counters every worker shares.
#[derive(Clone)]
pub struct RateLimit {
    /// Made by the first worker that asks: its garbage collector needs an
    /// actix worker's runtime.
    backend: Arc<OnceLock<InMemoryBackend>>,
    requests: u64,
    window: Duration,
    /// Key on `X-Forwarded-For` (only behind a proxy that sets it).
    trust_forwarded_for: bool,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit")
            .field("requests", &self.requests)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

type InputFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<SimpleInput, actix_web::Error>>>>;

impl RateLimit {
    pub fn new(requests: u64, window: Duration, trust_forwarded_for: bool) -> Self {
        Self {
            backend: Arc::default(),
            requests,
            window,
            trust_forwarded_for,
        }
    }

    /// A middleware for one scope (per worker: it is not `Send`).
    pub fn middleware(
        &self,
    ) -> RateLimiter<InMemoryBackend, SimpleOutput, impl Fn(&ServiceRequest) -> InputFuture + 'static>
    {
        let builder = SimpleInputFunctionBuilder::new(self.window, self.requests);
        let builder = if self.trust_forwarded_for {
            builder.real_ip_key()
        } else {
            builder.peer_ip_key()
        };
        let input = builder.build();
        let input = move |req: &ServiceRequest| -> InputFuture { Box::pin(input(req)) };
        let backend = self
            .backend
            .get_or_init(|| InMemoryBackend::builder().build())
            .clone();
        RateLimiter::builder(backend, input)
            .add_headers()
            .request_denied_response(|status: &SimpleOutput| {
                let seconds = status
                    .reset
                    .saturating_duration_since(tokio::time::Instant::now())
                    .as_secs()
                    .max(1);
                let mut response = HttpResponse::TooManyRequests()
                    .content_type("text/plain; charset=utf-8")
                    .body("Too Many Requests");
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(seconds));
                response
            })
            .build()
    }
}
