//! GitHub's jobs API for the reconciler: `GET /repos/{repo}/actions/jobs/{id}`
//! with an installation token (`POST /app/installations/{id}/access_tokens`
//! as whichever App the installation belongs to), kept until shortly before
//! it expires; answers are asked for with their `ETag`, so an unchanged job
//! costs no quota.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::Deserialize;

use crate::domain::ids::{InstallationId, JobId};
use crate::domain::reconcile::{GithubJob, JobLookup};
use crate::domain::setup::AppKind;
use crate::ports::{JobAnswer, JobSource, SourceError};

use super::deliveries::refusal;
use super::GithubClient;

/// A token is renewed this long before GitHub says it expires.
const RENEW_BEFORE: TimeDelta = TimeDelta::minutes(5);
/// Cached answers at most; the cache starts over beyond.
const MAX_CACHED: usize = 10_000;

/// Installation tokens and cached answers, shared by the client's clones.
#[derive(Debug, Default)]
pub struct JobCaches {
    tokens: Mutex<HashMap<InstallationId, (String, DateTime<Utc>)>>,
    answers: Mutex<HashMap<JobId, (String, GithubJob)>>,
}

#[derive(Debug, Deserialize)]
struct TokenBody {
    token: String,
    expires_at: String,
}

#[derive(Debug, Deserialize)]
struct JobBody {
    status: String,
    conclusion: Option<String>,
    runner_name: Option<String>,
    started_at: Option<String>,
    completed_at: Option<String>,
}

fn failed(error: impl std::fmt::Display) -> SourceError {
    SourceError::Failed(error.to_string())
}

fn time(text: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn quota(headers: &HeaderMap) -> Option<(u64, u64)> {
    let number = |name: &str| headers.get(name)?.to_str().ok()?.parse().ok();
    Some((
        number("x-ratelimit-remaining")?,
        number("x-ratelimit-limit")?,
    ))
}

impl GithubClient {
    /// A token for `installation`, minted if none is cached or it expires soon.
    async fn token(&self, installation: InstallationId) -> Result<String, SourceError> {
        let caches: &Arc<JobCaches> = &self.jobs;
        if let Some((token, expires)) = lock(&caches.tokens).get(&installation).cloned() {
            if Utc::now() + RENEW_BEFORE < expires {
                return Ok(token);
            }
        }
        let url = format!(
            "{}/app/installations/{installation}/access_tokens",
            self.api_url
        );
        for (app, _) in self.credentialed() {
            let response = self
                .as_app(app, self.http.post(&url))
                .map_err(SourceError::Failed)?
                .send()
                .await
                .map_err(failed)?;
            let status = response.status();
            if status == StatusCode::NOT_FOUND {
                continue; // the other App's installation
            }
            let headers = response.headers().clone();
            let text = response.text().await.map_err(failed)?;
            if !status.is_success() {
                return Err(refusal(status, &headers, &text));
            }
            let body: TokenBody = serde_json::from_str(&text).map_err(failed)?;
            let expires =
                time(Some(&body.expires_at)).ok_or_else(|| failed("unusable expires_at"))?;
            lock(&caches.tokens).insert(installation, (body.token.clone(), expires));
            return Ok(body.token);
        }
        Err(SourceError::Failed(format!(
            "no App with credentials has installation {installation}"
        )))
    }

    fn credentialed(&self) -> Vec<(AppKind, i64)> {
        crate::ports::DeliverySource::apps(self)
    }
}

impl JobSource for GithubClient {
    async fn job(
        &self,
        installation: InstallationId,
        repo: &str,
        job: JobId,
    ) -> Result<JobAnswer, SourceError> {
        let token = self.token(installation).await?;
        let cached = lock(&self.jobs.answers).get(&job).cloned();
        let mut request = self
            .http
            .get(format!(
                "{}/repos/{repo}/actions/jobs/{}",
                self.api_url, job.0
            ))
            .bearer_auth(token)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28");
        if let Some((etag, _)) = &cached {
            request = request.header("If-None-Match", etag);
        }
        let response = request.send().await.map_err(failed)?;
        let status = response.status();
        let headers = response.headers().clone();
        let quota = quota(&headers);
        let text = response.text().await.map_err(failed)?;
        let lookup = match status {
            StatusCode::NOT_MODIFIED => match cached {
                Some((_, answer)) => JobLookup::Found(answer),
                None => return Err(failed("304 for a job never asked")),
            },
            StatusCode::OK => {
                let body: JobBody = serde_json::from_str(&text).map_err(failed)?;
                let answer = GithubJob {
                    status: body.status,
                    conclusion: body.conclusion,
                    runner_name: body.runner_name,
                    started_at: time(body.started_at.as_deref()),
                    completed_at: time(body.completed_at.as_deref()),
                };
                if let Some(etag) = headers.get("etag").and_then(|v| v.to_str().ok()) {
                    let mut answers = lock(&self.jobs.answers);
                    if answers.len() >= MAX_CACHED {
                        answers.clear();
                    }
                    answers.insert(job, (etag.to_owned(), answer.clone()));
                }
                JobLookup::Found(answer)
            }
            StatusCode::NOT_FOUND => JobLookup::NotFound,
            StatusCode::UNAUTHORIZED => {
                lock(&self.jobs.tokens).remove(&installation);
                return Err(failed("GitHub refused the installation token"));
            }
            _ => match refusal(status, &headers, &text) {
                SourceError::RateLimited(said) => return Err(SourceError::RateLimited(said)),
                _ if status == StatusCode::FORBIDDEN => JobLookup::Forbidden,
                other => return Err(other),
            },
        };
        Ok(JobAnswer { lookup, quota })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
