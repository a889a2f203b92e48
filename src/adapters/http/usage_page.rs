//! `GET /usage` and `GET /usage.json`: live demand and supply.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use super::bearer::PageReader;
use super::error::HttpError;
use super::pages::age;
use super::HttpState;
use crate::app::usage::UsageGroup;
use crate::app::wiring::Wiring;

#[derive(Serialize)]
struct UsageView {
    generated_at: String,
    groups: Vec<GroupView>,
}

#[derive(Serialize)]
struct GroupView {
    entity_id: Option<i64>,
    entity_name: String,
    entity_type: String,
    labels: Vec<String>,
    pools: Vec<String>,
    jobs_pending: usize,
    jobs_running: usize,
    oldest_pending_seconds: Option<i64>,
    oldest_pending: String,
    workers_pending: usize,
    workers_running: usize,
    jobs: Vec<JobView>,
}

#[derive(Serialize)]
struct JobView {
    job_id: i64,
    status: &'static str,
    repo_full_name: String,
    pool: String,
    html_url: Option<String>,
    age_seconds: i64,
    age: String,
}

impl From<UsageGroup> for GroupView {
    fn from(group: UsageGroup) -> Self {
        Self {
            entity_id: group.entity_id,
            entity_name: group.entity_name,
            entity_type: group.entity_type,
            labels: group.labels,
            pools: group.pools,
            jobs_pending: group.jobs_pending,
            jobs_running: group.jobs_running,
            oldest_pending_seconds: group.oldest_pending_seconds,
            oldest_pending: group.oldest_pending_seconds.map(age).unwrap_or_default(),
            workers_pending: group.workers_pending,
            workers_running: group.workers_running,
            jobs: group
                .jobs
                .into_iter()
                .map(|job| JobView {
                    job_id: job.job_id,
                    status: job.status,
                    repo_full_name: job.repo_full_name,
                    pool: job.pool,
                    html_url: job.html_url,
                    age_seconds: job.age_seconds,
                    age: age(job.age_seconds),
                })
                .collect(),
        }
    }
}

async fn usage_view<W: Wiring>(state: &HttpState<W>) -> Result<UsageView, HttpError> {
    let now = Utc::now();
    let groups = state.demand.usage(now).await?;
    Ok(UsageView {
        generated_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        groups: groups.into_iter().map(GroupView::from).collect(),
    })
}

/// `GET /usage`
pub async fn html<W: Wiring>(
    state: web::Data<HttpState<W>>,
    _reader: PageReader,
) -> Result<HttpResponse, HttpError> {
    let view = usage_view(&state).await?;
    Ok(state.pages.render(StatusCode::OK, "usage.html", &view))
}

/// `GET /usage.json`
pub async fn json<W: Wiring>(
    state: web::Data<HttpState<W>>,
    _reader: PageReader,
) -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse::Ok().json(usage_view(&state).await?))
}
