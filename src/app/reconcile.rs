//! Reconciliation: `pending` and `running` jobs that have not changed for a
//! while are checked against GitHub's jobs API, and what GitHub says is
//! applied like a delivery (forward-only, with an event row from the
//! reconciler), so a job whose `completed` delivery was lost does not keep
//! a runner forever. One run at a time across replicas.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{TimeDelta, Utc};

use crate::domain::ids::InstallationId;
use crate::domain::reconcile::{reconcile, JobLookup, Reconciliation};
use crate::ports::{
    Change, DeliveryRecord, EventRecord, EventSource, JobSource, JobStore, ReconcileLog,
    SourceError, StaleJob, StoreError,
};

/// When a job is stale and how much one run checks.
#[derive(Debug, Clone)]
pub struct ReconcileSettings {
    pub pending_after: TimeDelta,
    pub running_after: TimeDelta,
    /// Jobs checked per installation and run, at most.
    pub per_installation: usize,
    /// An installation's pass stops when less than this share of its
    /// rate limit is left (0.2: 20 %).
    pub reserve: f64,
    /// How long applying one change may take.
    pub deadline: Duration,
}

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReconcileRun {
    pub checked: usize,
    pub completed: usize,
    pub running: usize,
    pub vanished: usize,
    pub unchanged: usize,
    pub forbidden: usize,
    /// Installations whose pass stopped at the rate-limit reserve.
    pub rate_limit_stops: usize,
    /// Lookups that failed (the job waits for the next run).
    pub failed: usize,
}

/// A run's result.
#[derive(Debug, PartialEq, Eq)]
pub enum ReconcileReport {
    /// Another run holds the lock.
    Skipped,
    Ran(ReconcileRun),
}

/// The reconciliation use case.
#[derive(Debug, Clone)]
pub struct Reconciler<S, G> {
    store: S,
    github: G,
    settings: ReconcileSettings,
}

impl<S: ReconcileLog + JobStore, G: JobSource> Reconciler<S, G> {
    pub fn new(store: S, github: G, settings: ReconcileSettings) -> Self {
        Self {
            store,
            github,
            settings,
        }
    }

    /// One run; logs and counts it.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn run(&self) -> Result<ReconcileReport, StoreError> {
        let result = self.run_locked().await;
        match &result {
            Err(error) => {
                tracing::warn!(error = %crate::ports::error_chain(error), "reconcile run failed");
            }
            Ok(ReconcileReport::Skipped) => {
                tracing::info!(
                    "reconcile run skipped: another run (another replica?) holds the lock"
                );
            }
            Ok(ReconcileReport::Ran(run)) => tracing::info!(
                checked = run.checked,
                completed = run.completed,
                running = run.running,
                vanished = run.vanished,
                unchanged = run.unchanged,
                forbidden = run.forbidden,
                failed = run.failed,
                rate_limit_stops = run.rate_limit_stops,
                "reconcile run"
            ),
        }
        result
    }

    async fn run_locked(&self) -> Result<ReconcileReport, StoreError> {
        let Some(lock) = self.store.try_lock("reconcile").await? else {
            return Ok(ReconcileReport::Skipped);
        };
        let now = Utc::now();
        let stale = self
            .store
            .stale_jobs(
                now - self.settings.pending_after,
                now - self.settings.running_after,
                self.settings.per_installation,
                now,
            )
            .await?;
        let mut by_installation: BTreeMap<InstallationId, Vec<StaleJob>> = BTreeMap::new();
        for job in stale {
            by_installation
                .entry(job.row.installation_id)
                .or_default()
                .push(job);
        }
        let mut run = ReconcileRun::default();
        for (installation, jobs) in by_installation {
            self.pass(installation, jobs, &mut run).await?;
        }
        self.store.unlock(lock).await;
        Ok(ReconcileReport::Ran(run))
    }

    /// Checks one installation's jobs, oldest first, until its quota
    /// reaches the reserve.
    async fn pass(
        &self,
        installation: InstallationId,
        jobs: Vec<StaleJob>,
        run: &mut ReconcileRun,
    ) -> Result<(), StoreError> {
        for job in jobs {
            let answer = match self
                .github
                .job(installation, &job.row.repo_full_name, job.row.job_id)
                .await
            {
                Ok(answer) => answer,
                Err(error) => {
                    run.failed += 1;
                    let limited = matches!(error, SourceError::RateLimited(_));
                    tracing::warn!(installation = installation.0, job = job.row.job_id.0, %error, "reconciler: no answer from GitHub");
                    if limited {
                        run.rate_limit_stops += 1;
                        metrics::counter!("ghfe_reconcile_rate_limit_stops_total").increment(1);
                    }
                    return Ok(());
                }
            };
            run.checked += 1;
            metrics::counter!("ghfe_reconcile_checked_total").increment(1);
            self.settle(&job, &answer.lookup, run).await?;
            if let Some((left, limit)) = answer.quota {
                #[allow(clippy::cast_precision_loss)]
                let low = (left as f64) < self.settings.reserve * limit as f64;
                if low {
                    run.rate_limit_stops += 1;
                    metrics::counter!("ghfe_reconcile_rate_limit_stops_total").increment(1);
                    tracing::info!(
                        installation = installation.0,
                        left,
                        limit,
                        "reconciler: rate-limit reserve reached; the rest waits"
                    );
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Applies what GitHub said about `job`, or notes when to ask again.
    async fn settle(
        &self,
        job: &StaleJob,
        lookup: &JobLookup,
        run: &mut ReconcileRun,
    ) -> Result<(), StoreError> {
        let row = &job.row;
        let decision = reconcile(row, lookup, job.not_found, job.checks);
        let result = decision.result();
        metrics::counter!("ghfe_reconciled_total", "result" => result).increment(1);
        let not_found = if *lookup == JobLookup::NotFound {
            job.not_found + 1
        } else {
            0
        };
        match decision {
            Reconciliation::Apply(report) => {
                let event = EventRecord {
                    source: EventSource::Reconciler,
                    event: format!("workflow_job.{}", report.action.as_str()),
                    delivery_id: None,
                    app_id: None,
                    installation_id: Some(row.installation_id),
                    entity: Some(row.entity.clone()),
                    job_id: Some(row.job_id),
                    repo_full_name: Some(row.repo_full_name.clone()),
                    payload: serde_json::json!({
                        "reconciled": result,
                        "github": github_answer(lookup),
                    })
                    .to_string(),
                };
                let record = DeliveryRecord {
                    event,
                    change: Change::Job(report),
                };
                let deadline = std::time::Instant::now() + self.settings.deadline;
                self.store.apply(record, deadline).await?;
                self.store.forget(row.job_id).await?;
                match result {
                    "vanished" => run.vanished += 1,
                    "completed" => run.completed += 1,
                    _ => run.running += 1,
                }
            }
            Reconciliation::Wait(pause) => {
                run.unchanged += 1;
                self.store
                    .record_check(row.job_id, not_found, Utc::now() + pause)
                    .await?;
            }
            Reconciliation::Forbidden(pause) => {
                run.forbidden += 1;
                tracing::warn!(
                    installation = row.installation_id.0,
                    job = row.job_id.0,
                    "reconciler: GitHub answered 403 (does the App have \"Actions: read\"?)"
                );
                self.store
                    .record_check(row.job_id, 0, Utc::now() + pause)
                    .await?;
            }
        }
        Ok(())
    }
}

/// What GitHub said, for the event row's payload.
fn github_answer(lookup: &JobLookup) -> serde_json::Value {
    match lookup {
        JobLookup::Found(job) => serde_json::json!({
            "status": job.status,
            "conclusion": job.conclusion,
            "runner_name": job.runner_name,
            "started_at": job.started_at.map(|t| t.to_rfc3339()),
            "completed_at": job.completed_at.map(|t| t.to_rfc3339()),
        }),
        JobLookup::NotFound => serde_json::json!({"status": 404}),
        JobLookup::Forbidden => serde_json::json!({"status": 403}),
    }
}
