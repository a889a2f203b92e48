//! The job state machine (docs/behaviour.md, "Jobs").
//!
//! Status only moves forward (pending → running → completed; `failed` is set
//! by the scheduler alone). Decisions are keyed on the delivery's `action`,
//! never on `workflow_job.status`. A job first seen as `in_progress` or
//! `completed` is inserted directly in that status: a tombstone, so a late
//! `queued` finds it and creates no demand.

use chrono::{DateTime, Utc};

use super::delivery::Entity;
use super::ids::{InstallationId, JobId, RunId};
use super::labels::LabelSet;
use super::outcome::Outcome;
use super::routing::Placement;

/// `status_enum` in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    Pending,
    Running,
    Completed,
    Failed,
}

impl JobStatus {
    /// Every status, in the order the enum declares them.
    pub const ALL: [Self; 4] = [Self::Pending, Self::Running, Self::Completed, Self::Failed];

    /// The database and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    /// Parses the database spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// The `workflow_job` actions that change demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobAction {
    Queued,
    InProgress,
    Completed,
}

impl JobAction {
    /// Parses a delivery's `action`; `None` for actions ghfe ignores
    /// (`waiting`, …).
    pub fn parse(action: &str) -> Option<Self> {
        match action {
            "queued" => Some(Self::Queued),
            "in_progress" => Some(Self::InProgress),
            "completed" => Some(Self::Completed),
            _ => None,
        }
    }

    /// The delivery's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
        }
    }
}

/// What a delivery does to the `jobs` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobEffect {
    /// Leave the row as it is (or absent).
    Nothing,
    /// Insert a new row in this status.
    Insert(JobStatus),
    /// pending → running, filling the pod and start time where empty.
    MarkRunning,
    /// pending/running → completed, with conclusion and completion time.
    MarkCompleted,
}

/// The effect on the table together with the outcome to record and answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobDecision {
    pub effect: JobEffect,
    pub outcome: Outcome,
}

impl JobDecision {
    /// The status the row has after this decision, when it changes: the
    /// inserted status, or the one a transition moves to.
    pub fn next_status(&self) -> Option<JobStatus> {
        match self.effect {
            JobEffect::Nothing => None,
            JobEffect::Insert(status) => Some(status),
            JobEffect::MarkRunning => Some(JobStatus::Running),
            JobEffect::MarkCompleted => Some(JobStatus::Completed),
        }
    }
}

/// Every state a job's row can be found in: absent, then each status.
pub const FOUND: [Option<JobStatus>; 5] = [
    None,
    Some(JobStatus::Pending),
    Some(JobStatus::Running),
    Some(JobStatus::Completed),
    Some(JobStatus::Failed),
];

/// Decides what `action` does to job `job` whose current status is `current`
/// (`None`: no row). `insertable` says whether the payload carries what a new
/// row needs (installation id and html_url).
///
/// A store executing `Insert` must apply it with "insert unless present";
/// when a concurrent delivery inserted the row first, it decides again with
/// the status it now finds.
pub fn decide(
    job: JobId,
    action: JobAction,
    current: Option<JobStatus>,
    insertable: bool,
) -> JobDecision {
    use JobStatus::{Completed, Failed, Pending, Running};
    let (effect, outcome) = match (action, current) {
        (JobAction::Queued, None) => (JobEffect::Insert(Pending), Outcome::JobStored(job)),
        (JobAction::Queued, Some(_)) => (JobEffect::Nothing, Outcome::JobAlreadyExists(job)),
        (JobAction::InProgress, Some(Pending)) => (
            JobEffect::MarkRunning,
            Outcome::JobMarkedRunning { job, was: Pending },
        ),
        (JobAction::InProgress, Some(was)) => {
            (JobEffect::Nothing, Outcome::JobMarkedRunning { job, was })
        }
        (JobAction::Completed, Some(was @ (Pending | Running))) => {
            (JobEffect::MarkCompleted, Outcome::JobCompleted { job, was })
        }
        (JobAction::Completed, Some(was @ (Completed | Failed))) => {
            (JobEffect::Nothing, Outcome::JobCompleted { job, was })
        }
        (JobAction::InProgress | JobAction::Completed, None) if insertable => {
            let status = if action == JobAction::InProgress {
                Running
            } else {
                Completed
            };
            (
                JobEffect::Insert(status),
                Outcome::JobStoredOutOfOrder { job, status },
            )
        }
        (JobAction::InProgress | JobAction::Completed, None) => {
            (JobEffect::Nothing, Outcome::JobNotFound(job))
        }
    };
    JobDecision { effect, outcome }
}

/// What a `workflow_job` payload says about its job, whatever its action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFacts {
    pub job_id: JobId,
    /// The repository owner.
    pub entity: Entity,
    pub repo_full_name: String,
    pub installation_id: Option<InstallationId>,
    pub labels: LabelSet,
    pub html_url: Option<String>,
    pub name: Option<String>,
    pub run_id: Option<RunId>,
    /// `workflow_job.runner_name`, `None` when absent or empty.
    pub runner_name: Option<String>,
    pub conclusion: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A routed `workflow_job` delivery: its action, where the job runs, and
/// its facts; enough to insert a row in any status or to advance one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobReport {
    pub action: JobAction,
    pub placement: Placement,
    pub job: JobFacts,
}

/// A `jobs` row as ghfe writes and reads it (the scheduler's columns
/// `failure_info`, `created_at` and `updated_at` aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub job_id: JobId,
    pub status: JobStatus,
    pub entity: Entity,
    pub repo_full_name: String,
    pub installation_id: InstallationId,
    /// Stored as a sorted JSON array.
    pub labels: LabelSet,
    pub k8s_pool: String,
    pub k8s_image: String,
    pub priority: i32,
    pub k8s_pod: Option<String>,
    pub html_url: Option<String>,
    pub job_name: Option<String>,
    pub run_id: Option<RunId>,
    pub job_conclusion: Option<String>,
    pub job_created_at: Option<DateTime<Utc>>,
    pub job_started_at: Option<DateTime<Utc>>,
    pub job_completed_at: Option<DateTime<Utc>>,
}

/// What a delivery writes besides the status, on insert and on a
/// transition alike: the pod and start time (only where still empty) once
/// the job runs, the conclusion and completion time once it completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobProgress {
    pub k8s_pod: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub conclusion: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl JobRow {
    /// Applies a [`JobEffect::MarkRunning`] or [`JobEffect::MarkCompleted`];
    /// other effects leave the row unchanged.
    pub fn advance(&mut self, effect: JobEffect, progress: &JobProgress) {
        let status = match effect {
            JobEffect::MarkRunning => JobStatus::Running,
            JobEffect::MarkCompleted => {
                self.job_conclusion = progress.conclusion.clone().or(self.job_conclusion.take());
                self.job_completed_at = progress.completed_at.or(self.job_completed_at);
                JobStatus::Completed
            }
            JobEffect::Nothing | JobEffect::Insert(_) => return,
        };
        self.status = status;
        self.k8s_pod = self.k8s_pod.take().or_else(|| progress.k8s_pod.clone());
        self.job_started_at = self.job_started_at.or(progress.started_at);
    }
}

impl JobReport {
    /// Whether the payload can create a row.
    pub fn insertable(&self) -> bool {
        self.job.installation_id.is_some() && self.job.html_url.is_some()
    }

    /// Decides this report's effect given the row's current status.
    pub fn decide(&self, current: Option<JobStatus>) -> JobDecision {
        decide(self.job.job_id, self.action, current, self.insertable())
    }

    /// The decision for each state of [`FOUND`], in that order.
    pub fn decisions(&self) -> [JobDecision; 5] {
        FOUND.map(|current| self.decide(current))
    }

    /// The row to insert in `status`; `None` when the payload is not
    /// insertable. The pod, times and conclusion are the delivery's
    /// [`JobReport::progress`].
    pub fn new_row(&self, status: JobStatus) -> Option<JobRow> {
        let progress = self.progress();
        Some(JobRow {
            job_id: self.job.job_id,
            status,
            entity: self.job.entity.clone(),
            repo_full_name: self.job.repo_full_name.clone(),
            installation_id: self.job.installation_id?,
            labels: self.job.labels.clone(),
            k8s_pool: self.placement.pool.clone(),
            k8s_image: self.placement.image.clone(),
            priority: self.placement.priority,
            k8s_pod: progress.k8s_pod,
            html_url: Some(self.job.html_url.clone()?),
            job_name: self.job.name.clone(),
            run_id: self.job.run_id,
            job_conclusion: progress.conclusion,
            job_created_at: self.job.created_at,
            job_started_at: progress.started_at,
            job_completed_at: progress.completed_at,
        })
    }

    /// How long GitHub's queue held the job (`created_at` → `started_at`).
    pub fn queue_time(&self) -> Option<std::time::Duration> {
        (self.job.started_at? - self.job.created_at?).to_std().ok()
    }

    /// What the delivery says about the job's progress: the pod and start
    /// time once it runs (`in_progress`, `completed`), the conclusion and
    /// completion time once it completed. A `queued` delivery says nothing.
    pub fn progress(&self) -> JobProgress {
        let started = self.action != JobAction::Queued;
        let completed = self.action == JobAction::Completed;
        JobProgress {
            k8s_pod: self.job.runner_name.clone().filter(|_| started),
            started_at: self.job.started_at.filter(|_| started),
            conclusion: self.job.conclusion.clone().filter(|_| completed),
            completed_at: self.job.completed_at.filter(|_| completed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::JobAction::{Completed as Complete, InProgress, Queued};
    use super::JobStatus::{Completed, Failed, Pending, Running};
    use super::*;

    const J: JobId = JobId(42);

    /// Every (action, current status, insertable) triple of the jobs table in docs/behaviour.md.
    #[test]
    #[allow(clippy::too_many_lines)] // one row per triple
    fn every_action_and_state_pair_follows_the_spec_table() {
        use JobEffect::{Insert, MarkCompleted, MarkRunning, Nothing};
        let running = |was| Outcome::JobMarkedRunning { job: J, was };
        let completed = |was| Outcome::JobCompleted { job: J, was };
        let table: Vec<(JobAction, Option<JobStatus>, bool, JobEffect, Outcome)> = vec![
            (Queued, None, true, Insert(Pending), Outcome::JobStored(J)),
            (
                Queued,
                Some(Pending),
                true,
                Nothing,
                Outcome::JobAlreadyExists(J),
            ),
            (
                Queued,
                Some(Running),
                true,
                Nothing,
                Outcome::JobAlreadyExists(J),
            ),
            (
                Queued,
                Some(Completed),
                true,
                Nothing,
                Outcome::JobAlreadyExists(J),
            ),
            (
                Queued,
                Some(Failed),
                true,
                Nothing,
                Outcome::JobAlreadyExists(J),
            ),
            (
                InProgress,
                Some(Pending),
                true,
                MarkRunning,
                running(Pending),
            ),
            (InProgress, Some(Running), true, Nothing, running(Running)),
            (
                InProgress,
                Some(Completed),
                true,
                Nothing,
                running(Completed),
            ),
            (InProgress, Some(Failed), true, Nothing, running(Failed)),
            (
                Complete,
                Some(Pending),
                true,
                MarkCompleted,
                completed(Pending),
            ),
            (
                Complete,
                Some(Running),
                true,
                MarkCompleted,
                completed(Running),
            ),
            (
                Complete,
                Some(Completed),
                true,
                Nothing,
                completed(Completed),
            ),
            (Complete, Some(Failed), true, Nothing, completed(Failed)),
            (
                InProgress,
                None,
                true,
                Insert(Running),
                Outcome::JobStoredOutOfOrder {
                    job: J,
                    status: Running,
                },
            ),
            (
                Complete,
                None,
                true,
                Insert(Completed),
                Outcome::JobStoredOutOfOrder {
                    job: J,
                    status: Completed,
                },
            ),
            (InProgress, None, false, Nothing, Outcome::JobNotFound(J)),
            (Complete, None, false, Nothing, Outcome::JobNotFound(J)),
        ];
        for (action, current, insertable, effect, outcome) in table {
            let decision = decide(J, action, current, insertable);
            assert_eq!(
                decision,
                JobDecision { effect, outcome },
                "{action:?} on {current:?} (insertable: {insertable})"
            );
        }
    }

    #[test]
    fn insertability_does_not_matter_once_the_job_is_known() {
        for action in [Queued, InProgress, Complete] {
            for status in JobStatus::ALL {
                assert_eq!(
                    decide(J, action, Some(status), true),
                    decide(J, action, Some(status), false)
                );
            }
        }
    }

    #[test]
    fn status_never_moves_backwards() {
        fn rank(status: JobStatus) -> u8 {
            match status {
                Pending => 0,
                Running => 1,
                Completed | Failed => 2,
            }
        }
        for action in [Queued, InProgress, Complete] {
            for status in JobStatus::ALL {
                let after = match decide(J, action, Some(status), true).effect {
                    JobEffect::Nothing => status,
                    JobEffect::MarkRunning => Running,
                    JobEffect::MarkCompleted => Completed,
                    JobEffect::Insert(_) => panic!("insert over an existing row"),
                };
                assert!(
                    rank(after) >= rank(status),
                    "{action:?} moved {status:?} back to {after:?}"
                );
            }
        }
    }

    #[test]
    fn only_the_three_demand_actions_parse() {
        assert_eq!(JobAction::parse("queued"), Some(Queued));
        assert_eq!(JobAction::parse("in_progress"), Some(InProgress));
        assert_eq!(JobAction::parse("completed"), Some(Complete));
        for ignored in ["waiting", "Queued", "", "requested"] {
            assert_eq!(JobAction::parse(ignored), None, "{ignored}");
        }
    }

    #[test]
    fn status_spellings_round_trip() {
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(JobStatus::parse("Pending"), None);
    }

    fn report(action: JobAction) -> JobReport {
        let at = |second: u32| DateTime::from_timestamp(1_700_000_000 + i64::from(second), 0);
        JobReport {
            action,
            placement: Placement {
                rule: "default".into(),
                pool: "pool".into(),
                image: "img-staging".into(),
                priority: 3,
            },
            job: JobFacts {
                job_id: J,
                entity: Entity {
                    kind: "Organization".into(),
                    id: crate::domain::ids::EntityId(5),
                    name: "org".into(),
                },
                repo_full_name: "org/repo".into(),
                installation_id: Some(InstallationId(9)),
                labels: ["ubuntu-24.04-riscv"].into_iter().collect(),
                html_url: Some("https://github.com/org/repo/runs/42".into()),
                name: Some("build".into()),
                run_id: Some(RunId(7)),
                runner_name: Some("runner-1".into()),
                conclusion: Some("success".into()),
                created_at: at(0),
                started_at: at(10),
                completed_at: at(20),
            },
        }
    }

    #[test]
    fn a_pending_row_has_no_pod_start_or_conclusion() {
        let row = report(Queued).new_row(Pending).unwrap();
        assert_eq!(
            (
                row.k8s_pod,
                row.job_started_at,
                row.job_conclusion,
                row.job_completed_at
            ),
            (None, None, None, None)
        );
        assert_eq!(
            (row.k8s_pool.as_str(), row.k8s_image.as_str(), row.priority),
            ("pool", "img-staging", 3)
        );
        assert!(row.job_created_at.is_some());
    }

    #[test]
    fn a_tombstone_carries_what_its_status_implies() {
        let running = report(InProgress).new_row(Running).unwrap();
        assert_eq!(running.k8s_pod.as_deref(), Some("runner-1"));
        assert!(running.job_started_at.is_some() && running.job_completed_at.is_none());
        let completed = report(Complete).new_row(Completed).unwrap();
        assert_eq!(completed.job_conclusion.as_deref(), Some("success"));
        assert!(completed.job_completed_at.is_some());
    }

    #[test]
    fn a_payload_without_installation_or_link_cannot_create_a_row() {
        let mut no_installation = report(InProgress);
        no_installation.job.installation_id = None;
        let mut no_link = report(InProgress);
        no_link.job.html_url = None;
        for incomplete in [no_installation, no_link] {
            assert!(!incomplete.insertable());
            assert_eq!(incomplete.new_row(Running), None);
            assert_eq!(incomplete.decide(None).outcome, Outcome::JobNotFound(J));
        }
    }

    #[test]
    fn queue_time_runs_from_creation_to_start() {
        assert_eq!(
            report(InProgress).queue_time(),
            Some(std::time::Duration::from_secs(10))
        );
        let mut clock_skew = report(InProgress);
        clock_skew.job.started_at = clock_skew
            .job
            .created_at
            .map(|t| t - chrono::TimeDelta::seconds(1));
        assert_eq!(clock_skew.queue_time(), None);
    }

    #[test]
    fn advancing_fills_only_empty_pod_and_start() {
        let mut row = report(Queued).new_row(Pending).unwrap();
        row.k8s_pod = Some("scheduler-pod".into());
        let progress = report(InProgress).progress();
        row.advance(JobEffect::MarkRunning, &progress);
        assert_eq!(row.status, Running);
        assert_eq!(row.k8s_pod.as_deref(), Some("scheduler-pod"));
        assert_eq!(row.job_started_at, progress.started_at);
        let mut later = report(Complete).progress();
        later.started_at = None;
        row.advance(JobEffect::MarkCompleted, &later);
        assert_eq!(row.status, Completed);
        assert_eq!(row.job_conclusion.as_deref(), Some("success"));
        assert_eq!(row.job_started_at, progress.started_at);
        assert_eq!(row.job_completed_at, later.completed_at);
    }

    #[test]
    fn progress_grows_with_the_action() {
        let queued = report(Queued).progress();
        assert_eq!(
            (
                queued.k8s_pod,
                queued.started_at,
                queued.conclusion,
                queued.completed_at
            ),
            (None, None, None, None)
        );
        let running = report(InProgress).progress();
        assert!(running.k8s_pod.is_some() && running.started_at.is_some());
        assert!(running.conclusion.is_none() && running.completed_at.is_none());
        let completed = report(Complete).progress();
        assert!(completed.conclusion.is_some() && completed.completed_at.is_some());
    }

    #[test]
    fn the_decision_table_follows_the_found_states() {
        let table = report(InProgress).decisions();
        let next: Vec<_> = table.iter().map(JobDecision::next_status).collect();
        assert_eq!(next, [Some(Running), Some(Running), None, None, None]);
        assert_eq!(table[0].outcome, report(InProgress).decide(None).outcome);
    }
}
