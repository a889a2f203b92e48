//! Stale demand, checked against GitHub: what to do with a `pending` or
//! `running` job when GitHub's jobs API says what became of it. A change
//! is a [`JobReport`] like a delivery's, so it follows the same forward-only
//! rules.

use chrono::{DateTime, TimeDelta, Utc};

use super::job::{JobAction, JobFacts, JobReport, JobRow, JobStatus};
use super::routing::Placement;

/// The conclusion of a job GitHub no longer knows.
pub const VANISHED: &str = "vanished";
/// 404s in a row after which a job counts as vanished.
pub const NOT_FOUND_LIMIT: u32 = 2;

/// A job as GitHub's jobs API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubJob {
    /// `queued`, `in_progress`, `completed`, `waiting`, …
    pub status: String,
    pub conclusion: Option<String>,
    pub runner_name: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// What GitHub answered about one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobLookup {
    Found(GithubJob),
    /// 404.
    NotFound,
    /// 403: the App may lack "Actions: read" on the repository.
    Forbidden,
}

/// What to do with a stale job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconciliation {
    /// Apply this report, as a delivery would be.
    Apply(Box<JobReport>),
    /// Nothing to change now; look again after this pause.
    Wait(TimeDelta),
    /// Forbidden: nothing changes; look again after this pause.
    Forbidden(TimeDelta),
}

impl Reconciliation {
    /// The result in logs and metrics.
    pub fn result(&self) -> &'static str {
        match self {
            Self::Apply(report) if report.job.conclusion.as_deref() == Some(VANISHED) => "vanished",
            Self::Apply(report) if report.action == JobAction::Completed => "completed",
            Self::Apply(_) => "running",
            Self::Wait(_) => "unchanged",
            Self::Forbidden(_) => "forbidden",
        }
    }
}

/// Decides for `row`, whose earlier checks found it missing
/// `not_found_before` times in a row and checked it `checks` times.
pub fn reconcile(
    row: &JobRow,
    lookup: &JobLookup,
    not_found_before: u32,
    checks: u32,
) -> Reconciliation {
    let pause = backoff(checks);
    match lookup {
        JobLookup::Forbidden => Reconciliation::Forbidden(TimeDelta::hours(1)),
        JobLookup::NotFound if not_found_before + 1 >= NOT_FOUND_LIMIT => {
            let vanished = GithubJob {
                status: "completed".into(),
                conclusion: Some(VANISHED.into()),
                runner_name: None,
                started_at: None,
                completed_at: None,
            };
            Reconciliation::Apply(Box::new(report(row, JobAction::Completed, &vanished)))
        }
        JobLookup::NotFound => Reconciliation::Wait(TimeDelta::minutes(1)),
        JobLookup::Found(job) => match job.status.as_str() {
            "completed" => Reconciliation::Apply(Box::new(report(row, JobAction::Completed, job))),
            "in_progress" if row.status == JobStatus::Pending => {
                Reconciliation::Apply(Box::new(report(row, JobAction::InProgress, job)))
            }
            _ => Reconciliation::Wait(pause),
        },
    }
}

/// The pause before a job still waiting on GitHub is checked again: 10
/// minutes, doubling to a day.
fn backoff(checks: u32) -> TimeDelta {
    (TimeDelta::minutes(10) * (1 << checks.min(8))).min(TimeDelta::days(1))
}

/// The report a delivery of `action` would carry for `row`, with GitHub's
/// facts about the job.
fn report(row: &JobRow, action: JobAction, job: &GithubJob) -> JobReport {
    JobReport {
        action,
        placement: Placement {
            rule: String::new(),
            pool: row.k8s_pool.clone(),
            image: row.k8s_image.clone(),
            priority: row.priority,
        },
        job: JobFacts {
            job_id: row.job_id,
            entity: row.entity.clone(),
            repo_full_name: row.repo_full_name.clone(),
            installation_id: Some(row.installation_id),
            labels: row.labels.clone(),
            html_url: row.html_url.clone(),
            name: row.job_name.clone(),
            run_id: row.run_id,
            runner_name: job.runner_name.clone().filter(|name| !name.is_empty()),
            conclusion: job.conclusion.clone(),
            created_at: row.job_created_at,
            started_at: job.started_at,
            completed_at: job
                .completed_at
                .or_else(|| (action == JobAction::Completed).then(Utc::now)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::delivery::Entity;
    use crate::domain::ids::{EntityId, InstallationId, JobId};
    use crate::domain::job::JobEffect;

    fn row(status: JobStatus) -> JobRow {
        JobRow {
            job_id: JobId(7),
            status,
            entity: Entity {
                kind: "Organization".into(),
                id: EntityId(1),
                name: "acme".into(),
            },
            repo_full_name: "acme/app".into(),
            installation_id: InstallationId(3),
            labels: ["ubuntu-latest"].into_iter().collect(),
            k8s_pool: "pool".into(),
            k8s_image: "image".into(),
            priority: 0,
            k8s_pod: None,
            html_url: Some("https://github.com/acme/app/actions/runs/1/job/7".into()),
            job_name: None,
            run_id: None,
            job_conclusion: None,
            job_created_at: None,
            job_started_at: None,
            job_completed_at: None,
        }
    }

    fn github(status: &str, conclusion: Option<&str>) -> JobLookup {
        JobLookup::Found(GithubJob {
            status: status.into(),
            conclusion: conclusion.map(Into::into),
            runner_name: Some("runner-1".into()),
            started_at: None,
            completed_at: None,
        })
    }

    fn effect(reconciliation: &Reconciliation, current: JobStatus) -> Option<JobEffect> {
        match reconciliation {
            Reconciliation::Apply(report) => Some(report.decide(Some(current)).effect),
            _ => None,
        }
    }

    #[test]
    fn github_says_what_became_of_the_job() {
        let pending = row(JobStatus::Pending);
        let running = row(JobStatus::Running);
        let done = reconcile(&pending, &github("completed", Some("success")), 0, 0);
        assert_eq!(done.result(), "completed");
        assert_eq!(
            effect(&done, JobStatus::Pending),
            Some(JobEffect::MarkCompleted)
        );
        let started = reconcile(&pending, &github("in_progress", None), 0, 0);
        assert_eq!(started.result(), "running");
        assert_eq!(
            effect(&started, JobStatus::Pending),
            Some(JobEffect::MarkRunning)
        );
        // Nothing moves back: a running job GitHub calls queued stays.
        assert_eq!(
            reconcile(&running, &github("queued", None), 0, 0).result(),
            "unchanged"
        );
        assert_eq!(
            reconcile(&running, &github("in_progress", None), 0, 0).result(),
            "unchanged"
        );
        assert_eq!(
            reconcile(&running, &JobLookup::Forbidden, 0, 0).result(),
            "forbidden"
        );
    }

    #[test]
    fn a_job_missing_twice_has_vanished() {
        let pending = row(JobStatus::Pending);
        assert_eq!(
            reconcile(&pending, &JobLookup::NotFound, 0, 0).result(),
            "unchanged"
        );
        let gone = reconcile(&pending, &JobLookup::NotFound, 1, 1);
        assert_eq!(gone.result(), "vanished");
        let Reconciliation::Apply(report) = gone else {
            unreachable!()
        };
        assert_eq!(report.job.conclusion.as_deref(), Some(VANISHED));
        assert_eq!(
            report.decide(Some(JobStatus::Pending)).effect,
            JobEffect::MarkCompleted
        );
    }

    #[test]
    fn a_job_still_queued_is_checked_less_and_less_often() {
        let pending = row(JobStatus::Pending);
        let pause = |checks| match reconcile(&pending, &github("queued", None), 0, checks) {
            Reconciliation::Wait(pause) => pause,
            other => panic!("{other:?}"),
        };
        assert_eq!(pause(0), TimeDelta::minutes(10));
        assert_eq!(pause(1), TimeDelta::minutes(20));
        assert_eq!(pause(20), TimeDelta::days(1));
    }
}
