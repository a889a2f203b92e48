//! Stopping gracefully: on SIGINT or SIGTERM, or through a [`StopHandle`],
//! live streams end first, then the server drains in-flight requests.

use std::sync::Arc;

use actix_web::dev::ServerHandle;

use super::delivery_feed::DeliveryFeed;

/// Stops a running server.
#[derive(Debug, Clone)]
pub struct StopHandle {
    /// The HTTP server's handle.
    pub server: ServerHandle,
    /// The live feed, whose streams end first so they do not hold up the drain.
    pub feed: Arc<DeliveryFeed>,
}

impl StopHandle {
    /// Ends the live streams, then stops the server, draining in-flight
    /// requests when `graceful`.
    pub async fn stop(&self, graceful: bool) {
        self.feed.close();
        self.server.stop(graceful).await;
    }
}

/// Waits for SIGINT or SIGTERM.
pub async fn signalled() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot watch SIGTERM; only SIGINT stops ghfe");
                drop(interrupt.await);
            }
        }
    }
    #[cfg(not(unix))]
    drop(interrupt.await);
}
