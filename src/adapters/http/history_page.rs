//! `GET /history` and `GET /history.json`: jobs newest first, a page at a
//! time, with a GitHub-style `Link` header.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use super::bearer::PageReader;
use super::error::HttpError;
use super::pages::{age, query_with, web_link};
use super::HttpState;
use crate::app::wiring::Wiring;
use crate::domain::history::{HistoryFilters, HistoryQuery, InvalidParameter, PageLinks};
use crate::ports::JobListing;

#[derive(Serialize)]
struct HistoryView {
    jobs: Vec<JobView>,
    page: u64,
    per_page: u64,
    total: u64,
    start: String,
    end: String,
    account: String,
    repository: String,
    pool: String,
    status: String,
    conclusion: String,
    page_number: u64,
    page_count: u64,
    links: LinkView,
}

#[derive(Serialize, Default)]
struct LinkView {
    first: Option<String>,
    prev: Option<String>,
    next: Option<String>,
    last: Option<String>,
}

#[derive(Serialize)]
struct JobView {
    job_id: i64,
    status: &'static str,
    entity_id: i64,
    entity_name: String,
    entity_type: String,
    repo_full_name: String,
    labels: Vec<String>,
    k8s_pool: String,
    k8s_image: String,
    html_url: Option<String>,
    job_name: Option<String>,
    conclusion: Option<String>,
    created_at: String,
    started_at: Option<String>,
    completed_at: Option<String>,
    /// GitHub's created_at to the start, in seconds and in words.
    queue_seconds: Option<i64>,
    queue: String,
    /// The start to the completion.
    run_seconds: Option<i64>,
    run: String,
}

impl From<JobListing> for JobView {
    fn from(job: JobListing) -> Self {
        let time = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        let between = |from: Option<chrono::DateTime<Utc>>, to: Option<chrono::DateTime<Utc>>| {
            from.zip(to)
                .map(|(from, to)| (to - from).num_seconds().max(0))
        };
        let queue_seconds = between(job.github_created_at, job.started_at);
        let run_seconds = between(job.started_at, job.completed_at);
        Self {
            job_id: job.job_id.0,
            status: job.status.as_str(),
            entity_id: job.entity.id.0,
            entity_name: job.entity.name,
            entity_type: job.entity.kind,
            repo_full_name: job.repo_full_name,
            labels: job.labels.iter().map(str::to_owned).collect(),
            k8s_pool: job.k8s_pool,
            k8s_image: job.k8s_image,
            html_url: web_link(job.html_url),
            job_name: job.job_name,
            conclusion: job.job_conclusion,
            created_at: time(job.created_at),
            started_at: job.started_at.map(time),
            completed_at: job.completed_at.map(time),
            queue_seconds,
            queue: queue_seconds.map(age).unwrap_or_default(),
            run_seconds,
            run: run_seconds.map(age).unwrap_or_default(),
        }
    }
}

/// This request's URL with `page` set to `page`.
fn page_url(req: &HttpRequest, params: &HashMap<String, String>, page: u64) -> String {
    let mut url = req.full_url();
    url.set_query(Some(&query_with(params, "page", &page.to_string())));
    url.to_string()
}

/// The page and its `Link` header, or the 400 of a bad parameter.
async fn history_view<W: Wiring>(
    req: &HttpRequest,
    params: &HashMap<String, String>,
    state: &HttpState<W>,
) -> Result<(HistoryView, String), HttpError> {
    let get = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    };
    let invalid = |invalid: InvalidParameter| HttpError::bad_request(invalid.to_string());
    let mut query = HistoryQuery::parse(
        get("start"),
        get("end"),
        get("page"),
        get("per_page"),
        state.history_limits,
        Utc::now().date_naive(),
    )
    .map_err(invalid)?;
    query.filters = HistoryFilters::parse(get).map_err(invalid)?;
    let found = state.demand.history(&query).await?;
    let links = PageLinks::new(query.page, query.per_page, found.total);
    let url = |page: u64| page_url(req, params, page);
    let link_view = LinkView {
        first: (query.page != links.first).then(|| url(links.first)),
        prev: links.prev.map(url),
        next: links.next.map(url),
        last: (query.page != links.last).then(|| url(links.last)),
    };
    let header: Vec<String> = [
        ("next", &link_view.next),
        ("last", &link_view.last),
        ("first", &link_view.first),
        ("prev", &link_view.prev),
    ]
    .into_iter()
    .filter_map(|(rel, target)| {
        target
            .as_ref()
            .map(|target| format!("<{target}>; rel=\"{rel}\""))
    })
    .collect();
    let view = HistoryView {
        page: query.page,
        per_page: query.per_page,
        total: found.total,
        start: get("start").unwrap_or_default().to_owned(),
        end: get("end").unwrap_or_default().to_owned(),
        account: get("account").unwrap_or_default().to_owned(),
        repository: get("repository").unwrap_or_default().to_owned(),
        pool: get("pool").unwrap_or_default().to_owned(),
        status: get("status").unwrap_or_default().to_owned(),
        conclusion: get("conclusion").unwrap_or_default().to_owned(),
        page_number: query.page + 1,
        page_count: links.last + 1,
        links: link_view,
        jobs: found.jobs.into_iter().map(JobView::from).collect(),
    };
    Ok((view, header.join(", ")))
}

fn with_link(mut response: HttpResponse, link: &str) -> HttpResponse {
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(link) {
        if !link.is_empty() {
            response
                .headers_mut()
                .insert(actix_web::http::header::LINK, value);
        }
    }
    response
}

/// `GET /history`
pub async fn html<W: Wiring>(
    req: HttpRequest,
    params: web::Query<HashMap<String, String>>,
    state: web::Data<HttpState<W>>,
    _reader: PageReader,
) -> Result<HttpResponse, HttpError> {
    let (view, link) = history_view(&req, &params, &state).await?;
    Ok(with_link(
        state.pages.render(StatusCode::OK, "history.html", &view),
        &link,
    ))
}

/// `GET /history.json`
pub async fn json<W: Wiring>(
    req: HttpRequest,
    params: web::Query<HashMap<String, String>>,
    state: web::Data<HttpState<W>>,
    _reader: PageReader,
) -> Result<HttpResponse, HttpError> {
    let (view, link) = history_view(&req, &params, &state).await?;
    let body = serde_json::json!({
        "jobs": view.jobs, "page": view.page, "per_page": view.per_page, "total": view.total,
    });
    Ok(with_link(HttpResponse::Ok().json(body), &link))
}
