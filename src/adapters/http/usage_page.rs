//! `GET /usage` and `GET /usage.json`: live demand and supply.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use super::bearer::PageReader;
use super::error::HttpError;
use super::pages::{age, web_link};
use super::HttpState;
use crate::app::usage::UsageGroup;
use crate::app::wiring::Wiring;

#[derive(Serialize)]
struct UsageView {
    generated_at: String,
    /// Seconds between reloads of the page, when asked (`?refresh=`).
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh: Option<u32>,
    totals: TotalsView,
    groups: Vec<GroupView>,
    ignored: Vec<IgnoredView>,
}

#[derive(Serialize)]
struct TotalsView {
    jobs_pending: usize,
    jobs_running: usize,
    pods_starting: usize,
    pods_running: usize,
    pods_failed: usize,
    oldest_pending_seconds: Option<i64>,
    oldest_pending: String,
}

#[derive(Serialize)]
struct WorkerView {
    pod_name: String,
    node: Option<String>,
    status: &'static str,
    age_seconds: i64,
    age: String,
    failure: Option<String>,
    job_id: Option<i64>,
    job_url: Option<String>,
}

#[derive(Serialize)]
struct IgnoredView {
    event_id: i64,
    received_at: String,
    repo_full_name: Option<String>,
    job_id: Option<i64>,
    labels: Vec<String>,
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
    workers_failed: usize,
    jobs: Vec<JobView>,
    workers: Vec<WorkerView>,
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
            workers_failed: group.workers_failed,
            workers: group
                .workers
                .into_iter()
                .map(|worker| WorkerView {
                    pod_name: worker.pod_name,
                    node: worker.node,
                    status: worker.status,
                    age_seconds: worker.age_seconds,
                    age: age(worker.age_seconds),
                    failure: worker.failure,
                    job_id: worker.job_id,
                    job_url: web_link(worker.job_url),
                })
                .collect(),
            jobs: group
                .jobs
                .into_iter()
                .map(|job| JobView {
                    job_id: job.job_id,
                    status: job.status,
                    repo_full_name: job.repo_full_name,
                    pool: job.pool,
                    html_url: web_link(job.html_url),
                    age_seconds: job.age_seconds,
                    age: age(job.age_seconds),
                })
                .collect(),
        }
    }
}

async fn usage_view<W: Wiring>(
    state: &HttpState<W>,
    refresh: Option<u32>,
) -> Result<UsageView, HttpError> {
    let now = Utc::now();
    let usage = state.demand.usage(now).await?;
    let totals = usage.totals;
    Ok(UsageView {
        generated_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        refresh,
        totals: TotalsView {
            jobs_pending: totals.jobs_pending,
            jobs_running: totals.jobs_running,
            pods_starting: totals.pods_starting,
            pods_running: totals.pods_running,
            pods_failed: totals.pods_failed,
            oldest_pending_seconds: totals.oldest_pending_seconds,
            oldest_pending: totals.oldest_pending_seconds.map(age).unwrap_or_default(),
        },
        groups: usage.groups.into_iter().map(GroupView::from).collect(),
        ignored: usage
            .ignored
            .into_iter()
            .map(|job| IgnoredView {
                event_id: job.event_id.0,
                received_at: job.received_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                repo_full_name: job.repo_full_name,
                job_id: job.job_id.map(|id| id.0),
                labels: job.labels,
            })
            .collect(),
    })
}

/// `?refresh=N`: reload every N seconds, 5 to 3600.
fn refresh(params: &HashMap<String, String>) -> Result<Option<u32>, HttpError> {
    params
        .get("refresh")
        .map(|value| {
            value
                .parse::<u32>()
                .ok()
                .filter(|seconds| (5..=3600).contains(seconds))
                .ok_or_else(|| {
                    HttpError::bad_request(
                        "invalid parameter refresh, expected seconds from 5 to 3600",
                    )
                })
        })
        .transpose()
}

/// `GET /usage`
pub async fn html<W: Wiring>(
    state: web::Data<HttpState<W>>,
    params: web::Query<HashMap<String, String>>,
    _reader: PageReader,
) -> Result<HttpResponse, HttpError> {
    let view = usage_view(&state, refresh(&params)?).await?;
    Ok(state.pages.render(StatusCode::OK, "usage.html", &view))
}

/// `GET /usage.json`
pub async fn json<W: Wiring>(
    state: web::Data<HttpState<W>>,
    _reader: PageReader,
) -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse::Ok().json(usage_view(&state, None).await?))
}
