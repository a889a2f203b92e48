//! Deliveries to apply, built directly in domain terms.

use chrono::DateTime;
use ghfe::domain::delivery::Entity;
use ghfe::domain::ids::{AppId, DeliveryId, EntityId, InstallationId, JobId, RunId};
use ghfe::domain::job::{JobAction, JobFacts, JobReport};
use ghfe::domain::outcome::Outcome;
use ghfe::domain::routing::Placement;
use ghfe::domain::run::RunReport;
use ghfe::ports::{Change, DeliveryRecord, EventRecord, EventSource};

pub const ORG: EntityId = EntityId(4001);
pub const INSTALLATION: InstallationId = InstallationId(5001);

pub fn entity() -> Entity {
    Entity {
        kind: "Organization".into(),
        id: ORG,
        name: "acme".into(),
    }
}

/// A routed report of `action` for job `id`, with every field set.
pub fn report(id: i64, action: JobAction) -> JobReport {
    let at = |second: i64| DateTime::from_timestamp(1_750_000_000 + second, 0);
    JobReport {
        action,
        placement: Placement {
            rule: "default".into(),
            pool: "scw-em-rv1".into(),
            image: "img-staging".into(),
            priority: 7,
        },
        job: JobFacts {
            job_id: JobId(id),
            entity: entity(),
            repo_full_name: "acme/app".into(),
            installation_id: Some(INSTALLATION),
            labels: ["Self-Hosted", "ubuntu-24.04-riscv"].into_iter().collect(),
            html_url: Some(format!(
                "https://github.com/acme/app/actions/runs/1/job/{id}"
            )),
            name: Some("build".into()),
            run_id: Some(RunId(9)),
            runner_name: Some(format!("runner-{id}")),
            conclusion: Some("success".into()),
            created_at: at(0),
            started_at: at(30),
            completed_at: at(90),
        },
    }
}

fn event_row(event: &str, delivery: Option<&str>, job: Option<i64>) -> EventRecord {
    EventRecord {
        source: EventSource::Webhook,
        event: event.into(),
        delivery_id: delivery.map(|id| DeliveryId(id.into())),
        app_id: Some(AppId(11)),
        installation_id: Some(INSTALLATION),
        entity: Some(entity()),
        job_id: job.map(JobId),
        repo_full_name: Some("acme/app".into()),
        payload: format!(r#"{{"event": "{event}", "job": {}}}"#, job.unwrap_or(0)),
    }
}

/// A job delivery built from `report`.
pub fn job_delivery(report: JobReport, delivery: Option<&str>) -> DeliveryRecord {
    let action = match report.action {
        JobAction::Queued => "queued",
        JobAction::InProgress => "in_progress",
        JobAction::Completed => "completed",
    };
    DeliveryRecord {
        event: event_row(
            &format!("workflow_job.{action}"),
            delivery,
            Some(report.job.job_id.0),
        ),
        change: Change::Job(Box::new(report)),
    }
}

/// A delivery of `action` for job `id`.
pub fn job(id: i64, action: JobAction, delivery: Option<&str>) -> DeliveryRecord {
    job_delivery(report(id, action), delivery)
}

/// A delivery that changes nothing but its row.
pub fn ping(delivery: Option<&str>) -> DeliveryRecord {
    DeliveryRecord {
        event: event_row("ping", delivery, None),
        change: Change::Nothing(Outcome::Pong),
    }
}

/// A workflow_run delivery.
pub fn run(id: i64, status: &str) -> DeliveryRecord {
    DeliveryRecord {
        event: event_row(&format!("workflow_run.{status}"), None, None),
        change: Change::Run(RunReport {
            run_id: RunId(id),
            repo_full_name: "acme/app".into(),
            workflow_name: Some("CI".into()),
            head_branch: Some("main".into()),
            head_sha: Some("abc".into()),
            event: Some("push".into()),
            status: Some(status.into()),
            conclusion: (status == "completed").then(|| "success".into()),
            entity_id: Some(ORG),
        }),
    }
}

/// A deadline no test reaches by accident.
pub fn soon() -> std::time::Instant {
    std::time::Instant::now() + std::time::Duration::from_secs(8)
}
