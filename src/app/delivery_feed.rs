//! The live feed of accepted deliveries behind `/api/webhooks/stream`: each
//! recorded event row is announced, after its commit, to whoever listens
//! on this replica. Nothing is kept: a listener that falls behind is told
//! how many it missed, and the delivery log has them all.

use std::sync::Arc;

use chrono::Utc;
use tokio::sync::{broadcast, watch};

use crate::domain::ids::EventId;
use crate::ports::{EventRecord, EventSummary};

/// Announcements a slow listener may fall behind by before it misses some.
const BACKLOG: usize = 256;

/// The most listeners at once; more are turned away.
pub const MAX_LISTENERS: usize = 64;

/// What a listener receives.
pub type Notice = Arc<EventSummary>;

/// Announces recorded deliveries; cheap when nobody listens.
#[derive(Debug)]
pub struct DeliveryFeed {
    notices: broadcast::Sender<Notice>,
    closing: watch::Sender<bool>,
}

/// One listener: its notices, and word that the server is stopping.
#[derive(Debug)]
pub struct Listener {
    pub notices: broadcast::Receiver<Notice>,
    pub closing: watch::Receiver<bool>,
}

/// An event row waiting for its id: taken before the row goes to the
/// store, only when somebody listens.
#[derive(Debug)]
pub struct Draft(EventSummary);

impl Default for DeliveryFeed {
    fn default() -> Self {
        Self {
            notices: broadcast::Sender::new(BACKLOG),
            closing: watch::Sender::new(false),
        }
    }
}

impl DeliveryFeed {
    /// A new listener, or `None` when [`MAX_LISTENERS`] already listen or
    /// the feed is closed.
    pub fn listen(&self) -> Option<Listener> {
        if *self.closing.borrow() || self.notices.receiver_count() >= MAX_LISTENERS {
            return None;
        }
        Some(Listener {
            notices: self.notices.subscribe(),
            closing: self.closing.subscribe(),
        })
    }

    /// Ends every listener's stream, for a graceful stop.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Notes `row` if anybody listens.
    pub fn draft(&self, row: &EventRecord) -> Option<Draft> {
        (self.notices.receiver_count() > 0).then(|| {
            let entity = row.entity.as_ref();
            Draft(EventSummary {
                id: EventId(0),
                source: row.source.as_str().to_owned(),
                event: row.event.clone(),
                outcome: String::new(),
                delivery_id: row.delivery_id.as_ref().map(|id| id.0.clone()),
                installation_id: row.installation_id,
                app_id: row.app_id,
                entity_type: entity.map(|e| e.kind.clone()),
                entity_id: entity.map(|e| e.id),
                entity_name: entity.map(|e| e.name.clone()),
                job_id: row.job_id,
                repo_full_name: row.repo_full_name.clone(),
                received_at: Utc::now(),
                response: None,
            })
        })
    }

    /// Announces a drafted row once it is committed as `id` with `outcome`.
    pub fn announce(&self, draft: Option<Draft>, id: EventId, outcome: &str) {
        if let Some(Draft(mut summary)) = draft {
            summary.id = id;
            outcome.clone_into(&mut summary.outcome);
            // No listener left since the draft: nothing to do.
            drop(self.notices.send(Arc::new(summary)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> EventRecord {
        EventRecord {
            source: crate::ports::EventSource::Webhook,
            event: "ping".into(),
            delivery_id: None,
            app_id: None,
            installation_id: None,
            entity: None,
            job_id: None,
            repo_full_name: None,
            payload: "{}".into(),
        }
    }

    #[test]
    fn nothing_is_drafted_without_listeners() {
        assert!(DeliveryFeed::default().draft(&row()).is_none());
    }

    #[test]
    fn a_listener_receives_the_committed_row() {
        let feed = DeliveryFeed::default();
        let mut listener = feed.listen().unwrap();
        let draft = feed.draft(&row());
        feed.announce(draft, EventId(9), "pong");
        let notice = listener.notices.try_recv().unwrap();
        assert_eq!((notice.id, notice.outcome.as_str()), (EventId(9), "pong"));
    }

    #[test]
    fn listeners_are_bounded_and_closing_turns_new_ones_away() {
        let feed = DeliveryFeed::default();
        let listeners: Vec<Listener> = (0..MAX_LISTENERS).filter_map(|_| feed.listen()).collect();
        assert_eq!(listeners.len(), MAX_LISTENERS);
        assert!(feed.listen().is_none());
        drop(listeners);
        assert!(feed.listen().is_some());
        feed.close();
        assert!(feed.listen().is_none());
    }
}
