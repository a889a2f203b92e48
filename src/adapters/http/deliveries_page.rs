//! `GET /deliveries`: the delivery log as a page, newest first, filtered
//! like `/api/webhooks/events` and paged by id ("older" keeps the filters),
//! behind the trace bearer token. Each row links to its stored payload and
//! to its job's trace.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::SecondsFormat;
use serde::Serialize;

use super::bearer::TracePageReader;
use super::error::HttpError;
use super::pages::query_with;
use super::HttpState;
use crate::app::wiring::Wiring;
use crate::domain::event_query::EventQuery;
use crate::ports::EventSummary;

/// Rows per page unless `limit` says otherwise.
const PAGE: u64 = 50;

#[derive(Serialize)]
struct DeliveriesView {
    rows: Vec<RowView>,
    total: u64,
    total_exact: bool,
    event: String,
    outcome: String,
    repository: String,
    account: String,
    older: Option<String>,
    duplicates: u64,
    rejected: Vec<Rejected>,
    rejected_total: u64,
}

#[derive(Serialize)]
struct Rejected {
    reason: &'static str,
    count: u64,
}

/// A delivery-log row as the pages show it.
#[derive(Serialize)]
pub(super) struct RowView {
    pub id: i64,
    pub received_at: String,
    pub source: String,
    pub event: String,
    pub outcome: String,
    pub response: Option<String>,
    pub repository: Option<String>,
    pub account: Option<String>,
    pub job_id: Option<i64>,
    pub delivery_id: Option<String>,
}

impl From<EventSummary> for RowView {
    fn from(row: EventSummary) -> Self {
        Self {
            id: row.id.0,
            received_at: row.received_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            source: row.source,
            event: row.event,
            outcome: row.outcome,
            response: row.response,
            repository: row.repo_full_name,
            account: row.entity_name,
            job_id: row.job_id.map(|id| id.0),
            delivery_id: row.delivery_id,
        }
    }
}

/// This request's filters with `before` set to `id`.
fn older_url(req: &HttpRequest, params: &HashMap<String, String>, id: i64) -> String {
    format!(
        "{}?{}",
        req.path(),
        query_with(params, "before", &id.to_string())
    )
}

/// `GET /deliveries`
pub async fn html<W: Wiring>(
    _: TracePageReader,
    req: HttpRequest,
    params: web::Query<HashMap<String, String>>,
    state: web::Data<HttpState<W>>,
) -> Result<HttpResponse, HttpError> {
    let get = |name: &str| params.get(name).map(String::as_str);
    let mut query =
        EventQuery::parse(get).map_err(|invalid| HttpError::bad_request(invalid.to_string()))?;
    if get("limit").is_none_or(str::is_empty) {
        query.limit = PAGE;
    }
    let page = state.log.search(&query).await?;
    let full = page.events.len() as u64 == query.limit;
    let older = page
        .events
        .last()
        .filter(|_| full)
        .map(|last| older_url(&req, &params, last.id.0));
    let (duplicates, rejected) = state.answers.read();
    let text = |name: &str| get(name).unwrap_or_default().to_owned();
    let view = DeliveriesView {
        total: page.total,
        total_exact: page.total_exact,
        rows: page.events.into_iter().map(RowView::from).collect(),
        event: text("event"),
        outcome: text("outcome"),
        repository: text("repository"),
        account: text("account"),
        older,
        duplicates,
        rejected_total: rejected.values().sum(),
        rejected: rejected
            .into_iter()
            .map(|(reason, count)| Rejected { reason, count })
            .collect(),
    };
    Ok(state.pages.render(StatusCode::OK, "deliveries.html", &view))
}
