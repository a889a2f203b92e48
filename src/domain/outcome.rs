//! What happened to a delivery: the `installation_events.outcome` code and the
//! text GitHub's delivery log shows. Outcomes are values,
//! not errors: "ignored" and "not found" are successful answers.

use super::ids::{JobId, RunId};
use super::job::JobStatus;

/// The result of handling one accepted delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `ping` answered.
    Pong,
    /// An installation event recorded; `event` is e.g. `installation.created`.
    Logged { event: String },
    /// A `workflow_run` delivery upserted into `workflow_runs`.
    RunRecorded(RunId),
    /// An event ghfe does not act on (`push`, `pull_request`, …).
    IgnoredEvent(String),
    /// A `workflow_job` action other than queued, in_progress, completed.
    IgnoredAction(String),
    /// No routing rule matched the job's labels.
    IgnoredNoLabel,
    /// A new job inserted as `pending`.
    JobStored(JobId),
    /// `queued` for a job that already has a row (any status).
    JobAlreadyExists(JobId),
    /// `in_progress` for a known job; `was` is the status before.
    JobMarkedRunning { job: JobId, was: JobStatus },
    /// `completed` for a known job; `was` is the status before.
    JobCompleted { job: JobId, was: JobStatus },
    /// `in_progress`/`completed` before `queued`: the job inserted directly
    /// in that status, a tombstone a late `queued` cannot resurrect.
    JobStoredOutOfOrder { job: JobId, status: JobStatus },
    /// `in_progress`/`completed` for an unknown job whose payload cannot
    /// create a row.
    JobNotFound(JobId),
    /// Forwarded to staging, which answered `status` and `body`.
    ProxiedToStaging { status: u16, body: String },
    /// Staging gave no answer in time: 502.
    StagingProxyFailed,
}

impl Outcome {
    /// The `installation_events.outcome` value.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Pong | Self::Logged { .. } => "ok",
            Self::RunRecorded(_) => "run_recorded",
            Self::IgnoredEvent(_) => "ignored_event",
            Self::IgnoredAction(_) => "ignored_action",
            Self::IgnoredNoLabel => "ignored_no_label",
            Self::JobStored(_) => "job_stored",
            Self::JobAlreadyExists(_) => "job_already_exists",
            Self::JobMarkedRunning { .. } => "job_marked_running",
            Self::JobCompleted { .. } => "job_marked_completed",
            Self::JobStoredOutOfOrder { .. } => "job_stored_out_of_order",
            Self::JobNotFound(_) => "job_not_found",
            Self::ProxiedToStaging { .. } => "proxied_to_staging",
            Self::StagingProxyFailed => "staging_proxy_failed",
        }
    }

    /// The response body GitHub records for the delivery.
    pub fn message(&self) -> String {
        match self {
            Self::Pong => "pong".to_owned(),
            Self::Logged { event } => format!("{event} logged"),
            Self::RunRecorded(id) => format!("Run {id} recorded."),
            Self::IgnoredEvent(event) => format!("Ignoring {event} event"),
            Self::IgnoredAction(action) => format!("Ignoring action: {action}"),
            Self::IgnoredNoLabel => "Ignoring job: missing required platform label".to_owned(),
            Self::JobStored(id) => format!("Job {id} stored."),
            Self::JobAlreadyExists(id) => format!("Job {id} already exists."),
            Self::JobMarkedRunning { job, was } => {
                format!("Job {job} marked running (was {}).", was.as_str())
            }
            Self::JobCompleted { job, was } => {
                format!("Job {job} completed (was {}).", was.as_str())
            }
            Self::JobStoredOutOfOrder { job, status } => {
                format!("Job {job} stored as {}.", status.as_str())
            }
            Self::JobNotFound(id) => format!("Job {id} not found."),
            Self::ProxiedToStaging { body, .. } => body.clone(),
            Self::StagingProxyFailed => "staging proxy failed".to_owned(),
        }
    }

    /// The status a job entered, when this outcome moved or created one.
    pub fn transition(&self) -> Option<JobStatus> {
        match self {
            Self::JobStored(_) => Some(JobStatus::Pending),
            Self::JobMarkedRunning {
                was: JobStatus::Pending,
                ..
            } => Some(JobStatus::Running),
            Self::JobCompleted {
                was: JobStatus::Pending | JobStatus::Running,
                ..
            } => Some(JobStatus::Completed),
            Self::JobStoredOutOfOrder { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The job this outcome is about, if any.
    pub fn job_id(&self) -> Option<JobId> {
        match self {
            Self::JobStored(id)
            | Self::JobAlreadyExists(id)
            | Self::JobNotFound(id)
            | Self::JobMarkedRunning { job: id, .. }
            | Self::JobCompleted { job: id, .. }
            | Self::JobStoredOutOfOrder { job: id, .. } => Some(*id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_outcomes_that_change_a_job_are_transitions() {
        let job = JobId(1);
        let cases = [
            (Outcome::JobStored(job), Some(JobStatus::Pending)),
            (
                Outcome::JobMarkedRunning {
                    job,
                    was: JobStatus::Pending,
                },
                Some(JobStatus::Running),
            ),
            (
                Outcome::JobMarkedRunning {
                    job,
                    was: JobStatus::Completed,
                },
                None,
            ),
            (
                Outcome::JobCompleted {
                    job,
                    was: JobStatus::Running,
                },
                Some(JobStatus::Completed),
            ),
            (
                Outcome::JobCompleted {
                    job,
                    was: JobStatus::Failed,
                },
                None,
            ),
            (
                Outcome::JobStoredOutOfOrder {
                    job,
                    status: JobStatus::Running,
                },
                Some(JobStatus::Running),
            ),
            (Outcome::JobAlreadyExists(job), None),
            (Outcome::JobNotFound(job), None),
            (Outcome::Pong, None),
        ];
        for (outcome, to) in cases {
            assert_eq!(outcome.transition(), to, "{outcome:?}");
        }
    }

    #[test]
    fn every_outcome_has_the_code_and_text_of_the_spec() {
        let job = JobId(7);
        let cases = [
            (Outcome::Pong, "ok", "pong"),
            (
                Outcome::Logged {
                    event: "installation.created".into(),
                },
                "ok",
                "installation.created logged",
            ),
            (
                Outcome::RunRecorded(RunId(9)),
                "run_recorded",
                "Run 9 recorded.",
            ),
            (
                Outcome::IgnoredEvent("push".into()),
                "ignored_event",
                "Ignoring push event",
            ),
            (
                Outcome::IgnoredAction("waiting".into()),
                "ignored_action",
                "Ignoring action: waiting",
            ),
            (
                Outcome::IgnoredNoLabel,
                "ignored_no_label",
                "Ignoring job: missing required platform label",
            ),
            (Outcome::JobStored(job), "job_stored", "Job 7 stored."),
            (
                Outcome::JobAlreadyExists(job),
                "job_already_exists",
                "Job 7 already exists.",
            ),
            (
                Outcome::JobMarkedRunning {
                    job,
                    was: JobStatus::Pending,
                },
                "job_marked_running",
                "Job 7 marked running (was pending).",
            ),
            (
                Outcome::JobCompleted {
                    job,
                    was: JobStatus::Failed,
                },
                "job_marked_completed",
                "Job 7 completed (was failed).",
            ),
            (
                Outcome::JobStoredOutOfOrder {
                    job,
                    status: JobStatus::Running,
                },
                "job_stored_out_of_order",
                "Job 7 stored as running.",
            ),
            (
                Outcome::JobNotFound(job),
                "job_not_found",
                "Job 7 not found.",
            ),
        ];
        for (outcome, code, text) in cases {
            assert_eq!(outcome.code(), code, "{outcome:?}");
            assert_eq!(outcome.message(), text, "{outcome:?}");
        }
    }

    #[test]
    fn the_staging_proxy_relays_stagings_answer_or_says_it_failed() {
        let relayed = Outcome::ProxiedToStaging {
            status: 503,
            body: "busy".into(),
        };
        assert_eq!(
            (relayed.code(), relayed.message()),
            ("proxied_to_staging", "busy".into())
        );
        let failed = Outcome::StagingProxyFailed;
        assert_eq!(
            (failed.code(), failed.message()),
            ("staging_proxy_failed", "staging proxy failed".into())
        );
    }
}
