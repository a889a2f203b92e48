//! `/api/webhooks/*` (SPEC §5): the delivery log filtered, counted, and
//! followed live, behind the trace bearer token.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::time::Duration;

use actix_web::http::header::CACHE_CONTROL;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{SecondsFormat, TimeDelta, Utc};
use futures_util::stream::{self, Stream, StreamExt};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use super::bearer::authorize;
use super::event_json::EventJson;
use super::responses::{store_error, text, RETRY_AFTER_SECONDS};
use super::HttpState;
use crate::app::delivery_feed::Listener;
use crate::app::wiring::Wiring;
use crate::domain::event_query::{statistics_hours, EventQuery};
use crate::ports::{EventCount, EventLog};

/// A comment line this often keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Serialize)]
struct EventsAnswer {
    events: Vec<EventJson>,
    total: u64,
    limit: u64,
    offset: u64,
}

/// `GET /api/webhooks/events`
pub async fn events<W: Wiring>(
    req: HttpRequest,
    params: web::Query<HashMap<String, String>>,
    state: web::Data<HttpState<W>>,
) -> HttpResponse {
    if let Err(refusal) = authorize(&req, &state) {
        return refusal.response();
    }
    let query = match EventQuery::parse(|name| params.get(name).map(String::as_str)) {
        Ok(query) => query,
        Err(invalid) => return text(StatusCode::BAD_REQUEST, invalid.to_string()),
    };
    match state.service.store().search_events(&query).await {
        Ok(page) => HttpResponse::Ok().json(EventsAnswer {
            events: page.events.into_iter().map(EventJson::from).collect(),
            total: page.total,
            limit: query.limit,
            offset: query.offset,
        }),
        Err(error) => store_error(&error),
    }
}

#[derive(Serialize)]
struct Statistics {
    hours: u32,
    since: String,
    total: u64,
    by_event: Vec<EventTotals>,
    by_outcome: BTreeMap<String, u64>,
}

#[derive(Serialize)]
struct EventTotals {
    event: String,
    total: u64,
    outcomes: BTreeMap<String, u64>,
}

/// Totals by event, by outcome, and of each event by outcome.
fn tally(counts: Vec<EventCount>) -> (u64, Vec<EventTotals>, BTreeMap<String, u64>) {
    let mut by_event: Vec<EventTotals> = Vec::new();
    let mut by_outcome: BTreeMap<String, u64> = BTreeMap::new();
    for count in counts {
        *by_outcome.entry(count.outcome.clone()).or_default() += count.count;
        match by_event.last_mut() {
            Some(totals) if totals.event == count.event => {
                totals.total += count.count;
                totals.outcomes.insert(count.outcome, count.count);
            }
            _ => by_event.push(EventTotals {
                event: count.event,
                total: count.count,
                outcomes: BTreeMap::from([(count.outcome, count.count)]),
            }),
        }
    }
    (by_event.iter().map(|e| e.total).sum(), by_event, by_outcome)
}

/// `GET /api/webhooks/statistics?hours=24`
pub async fn statistics<W: Wiring>(
    req: HttpRequest,
    params: web::Query<HashMap<String, String>>,
    state: web::Data<HttpState<W>>,
) -> HttpResponse {
    if let Err(refusal) = authorize(&req, &state) {
        return refusal.response();
    }
    let hours = match statistics_hours(params.get("hours").map(String::as_str)) {
        Ok(hours) => hours,
        Err(invalid) => return text(StatusCode::BAD_REQUEST, invalid.to_string()),
    };
    let since = Utc::now() - TimeDelta::hours(i64::from(hours));
    match state.service.store().count_events(since).await {
        Ok(counts) => {
            let (total, by_event, by_outcome) = tally(counts);
            HttpResponse::Ok().json(Statistics {
                hours,
                since: since.to_rfc3339_opts(SecondsFormat::Secs, true),
                total,
                by_event,
                by_outcome,
            })
        }
        Err(error) => store_error(&error),
    }
}

/// `GET /api/webhooks/stream`: server-sent events, one `delivery` event
/// per recorded delivery of this replica, `lagged` when some were missed.
pub async fn stream<W: Wiring>(req: HttpRequest, state: web::Data<HttpState<W>>) -> HttpResponse {
    if let Err(refusal) = authorize(&req, &state) {
        return refusal.response();
    }
    let Some(listener) = state.service.feed().listen() else {
        let mut busy = text(StatusCode::SERVICE_UNAVAILABLE, "Too many stream listeners");
        busy.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from_static(RETRY_AFTER_SECONDS),
        );
        return busy;
    };
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(server_sent_events(listener))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn count(event: &str, outcome: &str, count: u64) -> EventCount {
        EventCount {
            event: event.into(),
            outcome: outcome.into(),
            count,
        }
    }

    #[test]
    fn counts_add_up_by_event_and_by_outcome() {
        let (total, by_event, by_outcome) = tally(vec![
            count("ping", "pong", 1),
            count("workflow_job.queued", "duplicate", 2),
            count("workflow_job.queued", "job_queued", 5),
            count("workflow_run.completed", "duplicate", 1),
        ]);
        assert_eq!(total, 9);
        let events: Vec<(&str, u64, usize)> = by_event
            .iter()
            .map(|e| (e.event.as_str(), e.total, e.outcomes.len()))
            .collect();
        assert_eq!(
            events,
            [
                ("ping", 1, 1),
                ("workflow_job.queued", 7, 2),
                ("workflow_run.completed", 1, 1)
            ]
        );
        assert_eq!(by_outcome["duplicate"], 3);
        assert_eq!(by_outcome["job_queued"], 5);
    }
}
