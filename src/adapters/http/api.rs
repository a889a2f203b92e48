//! `/api/webhooks/*`: the delivery log filtered, counted, and followed
//! live, behind the trace bearer token.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::time::Duration;

use actix_web::http::header::CACHE_CONTROL;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use chrono::{SecondsFormat, Utc};
use futures_util::stream::{self, Stream, StreamExt};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use super::bearer::Authorized;
use super::error::HttpError;
use super::event_json::EventJson;
use super::HttpState;
use crate::app::delivery_feed::Listener;
use crate::app::delivery_log::EventTotals;
use crate::app::wiring::Wiring;
use crate::domain::event_query::{statistics_hours, EventQuery};

/// A comment line this often keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Serialize)]
struct EventsAnswer {
    events: Vec<EventJson>,
    total: u64,
    /// False when `total` is a lower bound (the count stopped at 10,000).
    total_exact: bool,
    limit: u64,
    offset: u64,
    /// Pass as `before` for the next (older) page; absent on the last.
    next_before: Option<i64>,
}

/// `GET /api/webhooks/events`
pub async fn events<W: Wiring>(
    _: Authorized,
    params: web::Query<HashMap<String, String>>,
    state: web::Data<HttpState<W>>,
) -> Result<HttpResponse, HttpError> {
    let query = EventQuery::parse(|name| params.get(name).map(String::as_str))
        .map_err(|invalid| HttpError::bad_request(invalid.to_string()))?;
    let page = state.log.search(&query).await?;
    let next_before = page
        .events
        .last()
        .filter(|_| page.events.len() as u64 == query.limit)
        .map(|last| last.id.0);
    Ok(HttpResponse::Ok().json(EventsAnswer {
        next_before,
        events: page.events.into_iter().map(EventJson::from).collect(),
        total: page.total,
        total_exact: page.total_exact,
        limit: query.limit,
        offset: query.offset,
    }))
}

#[derive(Serialize)]
struct StatisticsJson {
    hours: u32,
    since: String,
    total: u64,
    by_event: Vec<EventTotalsJson>,
    by_outcome: BTreeMap<String, u64>,
}

#[derive(Serialize)]
struct EventTotalsJson {
    event: String,
    total: u64,
    outcomes: BTreeMap<String, u64>,
}

impl From<EventTotals> for EventTotalsJson {
    fn from(totals: EventTotals) -> Self {
        Self {
            event: totals.event,
            total: totals.total,
            outcomes: totals.outcomes,
        }
    }
}

/// `GET /api/webhooks/statistics?hours=24`
pub async fn statistics<W: Wiring>(
    _: Authorized,
    params: web::Query<HashMap<String, String>>,
    state: web::Data<HttpState<W>>,
) -> Result<HttpResponse, HttpError> {
    let hours = statistics_hours(params.get("hours").map(String::as_str))
        .map_err(|invalid| HttpError::bad_request(invalid.to_string()))?;
    let statistics = state.log.statistics(hours, Utc::now()).await?;
    Ok(HttpResponse::Ok().json(StatisticsJson {
        hours,
        since: statistics.since.to_rfc3339_opts(SecondsFormat::Secs, true),
        total: statistics.total,
        by_event: statistics.by_event.into_iter().map(Into::into).collect(),
        by_outcome: statistics.by_outcome,
    }))
}

/// `GET /api/webhooks/stream`: server-sent events, one `delivery` event
/// per recorded delivery of this replica, `lagged` when some were missed.
pub async fn stream<W: Wiring>(
    _: Authorized,
    state: web::Data<HttpState<W>>,
) -> Result<HttpResponse, HttpError> {
    let listener = state
        .service
        .feed()
        .listen()
        .ok_or(HttpError::Busy("Too many stream listeners"))?;
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(server_sent_events(listener)))
}

/// The listener's notices as `text/event-stream` chunks, until the server
/// stops.
fn server_sent_events(listener: Listener) -> impl Stream<Item = Result<Bytes, Infallible>> {
    let keep_alive = tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
    let opening = stream::once(async { Ok(Bytes::from_static(b": listening\nretry: 5000\n\n")) });
    let notices = stream::unfold(
        (listener, keep_alive),
        |(mut listener, mut keep_alive)| async move {
            let chunk = tokio::select! {
                biased;
                _ = listener.closing.wait_for(|closing| *closing) => return None,
                notice = listener.notices.recv() => match notice {
                    Ok(notice) => {
                        let id = notice.id.0;
                        let json = serde_json::to_string(&EventJson::from((*notice).clone()))
                            .unwrap_or_default();
                        format!("id: {id}\nevent: delivery\ndata: {json}\n\n")
                    }
                    Err(RecvError::Lagged(missed)) => {
                        format!("event: lagged\ndata: {{\"missed\":{missed}}}\n\n")
                    }
                    Err(RecvError::Closed) => return None,
                },
                _ = keep_alive.tick() => ": keep-alive\n\n".to_owned(),
            };
            Some((Ok(Bytes::from(chunk)), (listener, keep_alive)))
        },
    );
    opening.chain(notices)
}
