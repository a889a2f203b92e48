//! Redelivery: for each App, read GitHub's delivery log back to where the
//! last complete scan let it stop, and ask GitHub to deliver again every
//! delivery that never reached ghfe. The background loop and
//! `ghfe redeliver` run this same use case; a lock in the database makes
//! one run at a time across replicas.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::time::Instant;

use crate::domain::redelivery::{next_checkpoint, plan, Attempt, Decision, Policy, Verdict};
use crate::domain::setup::AppKind;
use crate::ports::{DeliverySource, RedeliveryLog, SourceError, StoreError};

/// How far back and how much one run goes.
#[derive(Debug, Clone)]
pub struct RedeliverySettings {
    /// GitHub redelivers attempts this young at most (3 days on github.com).
    pub window: TimeDelta,
    /// The scan goes this far behind the last checkpoint, for attempts
    /// GitHub listed late.
    pub overlap: TimeDelta,
    /// Pages of 100 attempts read per App and run, at most.
    pub max_pages: usize,
    /// A run stops reading and redelivering after this long.
    pub max_run_time: Duration,
    /// The pause between two redelivery requests.
    pub pace: Duration,
    pub policy: Policy,
}

/// What one run is asked to do.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Decide and report, but redeliver nothing and keep no state.
    pub dry_run: bool,
    /// Scan this far back instead of to the checkpoint (within the window).
    pub since: Option<TimeDelta>,
}

/// What a run did for one App.
#[derive(Debug, Clone)]
pub struct AppRun {
    pub app: AppKind,
    /// Attempts read.
    pub listed: usize,
    /// The GUIDs decided, oldest first.
    pub decisions: Vec<Decision>,
    /// Redelivery requests GitHub accepted.
    pub redelivered: usize,
    /// Redelivery requests that failed (tried again next run).
    pub failed: usize,
    /// The scan stopped before its stop point (page or time limit, an
    /// error): the checkpoint stays.
    pub truncated: bool,
    pub rate_limited: bool,
    /// Why the scan stopped early, when GitHub failed.
    pub error: Option<String>,
}

impl AppRun {
    /// GUIDs with this verdict.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.decisions
            .iter()
            .filter(|d| d.verdict == verdict)
            .count()
    }
}

/// A run's result.
#[derive(Debug)]
pub enum RunReport {
    /// Another run holds the lock.
    Skipped,
    Ran(Vec<AppRun>),
}

/// The redelivery use case.
#[derive(Debug, Clone)]
pub struct Redelivery<L, G> {
    log: L,
    github: G,
    settings: RedeliverySettings,
}

impl<L: RedeliveryLog, G: DeliverySource> Redelivery<L, G> {
    pub fn new(log: L, github: G, settings: RedeliverySettings) -> Self {
        Self {
            log,
            github,
            settings,
        }
    }

    /// Whether any App has credentials to run with.
    pub fn has_apps(&self) -> bool {
        !self.github.apps().is_empty()
    }

    /// One run over every App with credentials; logs and counts it.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails (nothing more is done).
    pub async fn run(&self, options: RunOptions) -> Result<RunReport, StoreError> {
        let result = self.run_locked(options).await;
        let outcome = match &result {
            Err(_) => "failed",
            Ok(RunReport::Skipped) => "skipped",
            Ok(RunReport::Ran(apps)) if apps.iter().any(|a| a.rate_limited) => "rate_limited",
            Ok(RunReport::Ran(apps)) if apps.iter().any(|a| a.truncated) => "truncated",
            Ok(RunReport::Ran(_)) => "ok",
        };
        metrics::counter!("ghfe_redelivery_runs_total", "result" => outcome).increment(1);
        if outcome == "ok" && !options.dry_run {
            #[allow(clippy::cast_precision_loss)]
            let now = Utc::now().timestamp() as f64;
            metrics::gauge!("ghfe_redelivery_last_success_timestamp_seconds").set(now);
        }
        match &result {
            Err(error) => {
                tracing::warn!(error = %crate::ports::error_chain(error), "redelivery run failed");
            }
            Ok(RunReport::Skipped) => {
                tracing::info!(
                    "redelivery run skipped: another run (another replica?) holds the lock"
                );
            }
            Ok(RunReport::Ran(apps)) => apps.iter().for_each(|run| log_run(run, options)),
        }
        result
    }

    async fn run_locked(&self, options: RunOptions) -> Result<RunReport, StoreError> {
        let Some(lock) = self.log.try_lock("redelivery").await? else {
            return Ok(RunReport::Skipped);
        };
        let deadline = Instant::now() + self.settings.max_run_time;
        let mut runs = Vec::new();
        for (app, app_id) in self.github.apps() {
            let run = self.run_app(app, app_id, options, deadline).await?;
            let stop = run.rate_limited;
            runs.push(run);
            if stop {
                break;
            }
        }
        self.log.unlock(lock).await;
        Ok(RunReport::Ran(runs))
    }

    async fn run_app(
        &self,
        app: AppKind,
        app_id: i64,
        options: RunOptions,
        deadline: Instant,
    ) -> Result<AppRun, StoreError> {
        let started = Utc::now();
        let floor = started - self.settings.window;
        let stop = match options.since {
            Some(since) => started - since,
            None => (self.log.checkpoint(app_id).await?)
                .map_or(floor, |checked| checked - self.settings.overlap),
        }
        .max(floor);
        let mut run = AppRun {
            app,
            listed: 0,
            decisions: Vec::new(),
            redelivered: 0,
            failed: 0,
            truncated: false,
            rate_limited: false,
            error: None,
        };
        let attempts = self.scan(app, stop, deadline, &mut run).await;
        run.listed = attempts.len();
        let guids: Vec<String> = attempts
            .iter()
            .map(|a| a.guid.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let recorded = self.log.recorded(&guids).await?;
        let tries = self.log.tries(&guids).await?;
        run.decisions = plan(&attempts, &recorded, &tries, started, &self.settings.policy);
        if !options.dry_run {
            self.redeliver(app, app_id, deadline, &mut run).await?;
            if !run.truncated {
                let checkpoint = next_checkpoint(started, &run.decisions);
                self.log.save_checkpoint(app_id, checkpoint).await?;
            }
        }
        Ok(run)
    }

    /// The attempts since `stop`, newest first; marks `run` truncated when
    /// the scan ends before it.
    async fn scan(
        &self,
        app: AppKind,
        stop: DateTime<Utc>,
        deadline: Instant,
        run: &mut AppRun,
    ) -> Vec<Attempt> {
        let mut attempts = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..self.settings.max_pages {
            if Instant::now() >= deadline {
                break;
            }
            let page = match self.github.attempts(app, cursor.as_deref()).await {
                Ok(page) => page,
                Err(error) => {
                    run.rate_limited = matches!(error, SourceError::RateLimited(_));
                    run.error = Some(error.to_string());
                    break;
                }
            };
            let reached = page.attempts.iter().any(|a| a.delivered_at < stop);
            attempts.extend(page.attempts.into_iter().filter(|a| a.delivered_at >= stop));
            match page.next {
                Some(next) if !reached => cursor = Some(next),
                _ => return attempts,
            }
        }
        run.truncated = true;
        attempts
    }

    /// Asks for every `Redeliver` decision, serially and paced; what cannot
    /// be asked in this run becomes `Deferred`.
    async fn redeliver(
        &self,
        app: AppKind,
        app_id: i64,
        deadline: Instant,
        run: &mut AppRun,
    ) -> Result<(), StoreError> {
        let label = app_label(app);
        let mut first = true;
        for decision in &mut run.decisions {
            if decision.verdict != Verdict::Redeliver {
                continue;
            }
            if run.rate_limited || Instant::now() + self.settings.pace >= deadline {
                decision.verdict = Verdict::Deferred;
                continue;
            }
            if !first {
                tokio::time::sleep(self.settings.pace).await;
            }
            first = false;
            let result = self.github.redeliver(app, decision.newest.id).await;
            let (counted, gave_up) = match &result {
                Ok(()) => ("redelivered", false),
                Err(SourceError::Refused(_)) => ("refused", true),
                Err(SourceError::RateLimited(_)) => ("rate_limited", false),
                Err(SourceError::Failed(_)) => ("failed", false),
            };
            metrics::counter!("ghfe_redeliveries_total", "app" => label, "result" => counted)
                .increment(1);
            match result {
                Ok(()) => run.redelivered += 1,
                Err(SourceError::Refused(reason)) => {
                    tracing::info!(app = label, guid = %decision.guid, %reason, "GitHub refused a redelivery: giving up on it");
                    decision.verdict = Verdict::GaveUp;
                }
                Err(SourceError::RateLimited(reason)) => {
                    run.rate_limited = true;
                    run.error = Some(reason);
                    decision.verdict = Verdict::Deferred;
                    continue;
                }
                Err(SourceError::Failed(reason)) => {
                    run.failed += 1;
                    run.error = Some(reason);
                }
            }
            let now = Utc::now();
            self.log
                .record_try(app_id, &decision.guid, now, gave_up)
                .await?;
        }
        Ok(())
    }
}

/// The App's name in logs and metrics.
pub fn app_label(app: AppKind) -> &'static str {
    match app {
        AppKind::Org => "org",
        AppKind::Personal => "personal",
    }
}

fn log_run(run: &AppRun, options: RunOptions) {
    tracing::info!(
        app = app_label(run.app),
        dry_run = options.dry_run,
        listed = run.listed,
        guids = run.decisions.len(),
        already_done = run.count(Verdict::Delivered) + run.count(Verdict::Recorded),
        redelivered = run.redelivered,
        would_redeliver = if options.dry_run {
            run.count(Verdict::Redeliver)
        } else {
            0
        },
        failed = run.failed,
        gave_up = run.count(Verdict::GaveUp),
        later = run.count(Verdict::Later) + run.count(Verdict::Deferred),
        truncated = run.truncated,
        rate_limited = run.rate_limited,
        error = run.error.as_deref().unwrap_or(""),
        "redelivery run"
    );
}
