//! `GET /deliveries/{id}`: one delivery whole, behind the trace token like
//! the list: what arrived and what ghfe answered, the job as it stands now,
//! and the stored payload, indented.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::bearer::TracePageReader;
use super::deliveries_page::RowView;
use super::error::HttpError;
use super::pages::{query_with, web_link};
use super::HttpState;
use crate::app::trace::Delivery;
use crate::app::wiring::Wiring;
use crate::domain::ids::EventId;
use crate::domain::job::JobRow;

#[derive(Serialize)]
struct DeliveryView {
    #[serde(flatten)]
    row: RowView,
    app_id: Option<i64>,
    installation_id: Option<i64>,
    /// The list narrowed to this account, and to this repository.
    account_url: Option<String>,
    repository_url: Option<String>,
    /// The job on GitHub, from the payload.
    job_url: Option<String>,
    job: Option<JobView>,
    payload: String,
}

#[derive(Serialize)]
struct JobView {
    status: &'static str,
    name: Option<String>,
    labels: Vec<String>,
    pool: String,
    image: String,
    pod: Option<String>,
    conclusion: Option<String>,
    queued_at: Option<String>,
    started_at: Option<String>,
    completed_at: Option<String>,
}

/// `/deliveries?<name>=<value>`.
fn narrowed(name: &str, value: &str) -> String {
    format!("/deliveries?{}", query_with(&HashMap::new(), name, value))
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl From<JobRow> for JobView {
    fn from(job: JobRow) -> Self {
        Self {
            status: job.status.as_str(),
            name: job.job_name,
            labels: job.labels.iter().map(str::to_owned).collect(),
            pool: job.k8s_pool,
            image: job.k8s_image,
            pod: job.k8s_pod,
            conclusion: job.job_conclusion,
            queued_at: job.job_created_at.map(time),
            started_at: job.job_started_at.map(time),
            completed_at: job.job_completed_at.map(time),
        }
    }
}

impl From<Delivery> for DeliveryView {
    fn from(delivery: Delivery) -> Self {
        let summary = delivery.summary;
        let job_url = web_link(
            delivery
                .payload
                .pointer("/workflow_job/html_url")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
        );
        let app_id = summary.app_id.map(|id| id.0);
        let installation_id = summary.installation_id.map(|id| id.0);
        let row = RowView::from(summary);
        Self {
            app_id,
            installation_id,
            account_url: row.account.as_deref().map(|a| narrowed("account", a)),
            repository_url: row.repository.as_deref().map(|r| narrowed("repository", r)),
            row,
            job_url,
            job: delivery.job.map(JobView::from),
            payload: serde_json::to_string_pretty(&delivery.payload).unwrap_or_default(),
        }
    }
}

/// `GET /deliveries/{id}`
pub async fn html<W: Wiring>(
    _: TracePageReader,
    path: web::Path<String>,
    state: web::Data<HttpState<W>>,
) -> Result<HttpResponse, HttpError> {
    let id = path
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| HttpError::bad_request("Invalid event_id"))?;
    match state.trace.delivery(EventId(id)).await? {
        Some(delivery) => Ok(state.pages.render(
            StatusCode::OK,
            "delivery.html",
            &DeliveryView::from(delivery),
        )),
        None => Err(HttpError::not_found("Delivery not found")),
    }
}
