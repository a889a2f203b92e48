//! Reading a verified body into a typed [`Delivery`] (the body must be a
//! JSON object; each event needs its parts), without building a JSON tree:
//! see [`Object`].

use crate::domain::delivery::{
    Context, Delivery, DeliveryKind, Entity, InvalidDelivery, JobDelivery,
};
use crate::domain::ids::{AppId, DeliveryId, EntityId, InstallationId, JobId, RunId};
use crate::domain::job::JobFacts;
use crate::domain::run::RunReport;

use super::json::Object;
use super::json_text::storable;

/// The delivery's headers, already checked.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub event: String,
    pub delivery_id: Option<DeliveryId>,
    pub app_id: AppId,
}

/// Builds the typed delivery of `body`, which must be a JSON object.
pub fn read(envelope: Envelope, body: &[u8]) -> Result<Delivery, InvalidDelivery> {
    let text = std::str::from_utf8(body).map_err(|_| InvalidDelivery::NotAnObject)?;
    let text = storable(text).map_err(InvalidDelivery::NestedTooDeep)?;
    let text = text.as_ref();
    let document = Object::parse(text).ok_or(InvalidDelivery::NotAnObject)?;
    let full = || text.to_owned();
    let mut context = context(&document);
    let kind = match envelope.event.as_str() {
        "ping" => DeliveryKind::Ping { body: full() },
        "installation" | "installation_repositories" => {
            let installation = document.object("installation", "installation")?;
            let account = installation.object("account", "installation.account")?;
            context.installation_id = installation.opt_int("id").map(InstallationId);
            context.entity = entity(
                installation
                    .opt_string("target_type")
                    .or_else(|| account.opt_string("type")),
                installation
                    .opt_int("target_id")
                    .or_else(|| account.opt_int("id")),
                account.opt_string("login"),
            );
            DeliveryKind::Installation {
                action: document.string("action", "action")?,
                body: full(),
            }
        }
        "installation_target" => {
            let account = document.object("account", "account")?;
            document.object("installation", "installation")?;
            context.entity = entity(
                document.opt_string("target_type"),
                account.opt_int("id"),
                account.opt_string("login"),
            );
            DeliveryKind::Installation {
                action: document.string("action", "action")?,
                body: full(),
            }
        }
        "workflow_job" => DeliveryKind::WorkflowJob(Box::new(job(&document)?)),
        "workflow_run" => {
            let (action, run) = run(&document)?;
            DeliveryKind::WorkflowRun {
                action,
                run,
                body: full(),
            }
        }
        _ => DeliveryKind::Other { body: full() },
    };
    Ok(Delivery {
        event: envelope.event,
        delivery_id: envelope.delivery_id,
        app_id: envelope.app_id,
        context,
        kind,
    })
}

/// What any event row records when the payload has it.
fn context(document: &Object<'_>) -> Context {
    let repository = document.opt_object("repository");
    let owner = repository.as_ref().and_then(|r| r.opt_object("owner"));
    Context {
        installation_id: document
            .opt_object("installation")
            .and_then(|i| i.opt_int("id"))
            .map(InstallationId),
        entity: owner
            .and_then(|o| entity(o.opt_string("type"), o.opt_int("id"), o.opt_string("login"))),
        repo_full_name: repository.and_then(|r| r.opt_string("full_name")),
    }
}

fn entity(kind: Option<String>, id: Option<i64>, name: Option<String>) -> Option<Entity> {
    Some(Entity {
        kind: kind.unwrap_or_default(),
        id: EntityId(id?),
        name: name.unwrap_or_default(),
    })
}

fn job(document: &Object<'_>) -> Result<JobDelivery, InvalidDelivery> {
    let repository = document.object("repository", "repository")?;
    let owner = repository.object("owner", "repository.owner")?;
    let owner_id = owner.id("id", "repository.owner.id")?;
    let repo_full_name = repository.string("full_name", "repository.full_name")?;
    repository.int("id", "repository.id")?;
    let job = document.object("workflow_job", "workflow_job")?;
    let job_id = job.id("id", "workflow_job.id")?;
    let action = document.string("action", "action")?;
    let kind = owner.string("type", "repository.owner.type")?;
    if kind != "Organization" && kind != "User" {
        return Err(InvalidDelivery::UnsupportedOwnerType(kind));
    }
    let raw_labels = job.strings("labels", "workflow_job.labels")?;
    let facts = JobFacts {
        job_id: JobId(job_id),
        entity: Entity {
            kind,
            id: EntityId(owner_id),
            name: owner.opt_string("login").unwrap_or_default(),
        },
        repo_full_name,
        installation_id: document
            .opt_object("installation")
            .and_then(|i| i.opt_int("id"))
            .map(InstallationId),
        labels: raw_labels.iter().collect(),
        html_url: job.opt_string("html_url"),
        name: job.opt_string("name"),
        run_id: job.opt_int("run_id").map(RunId),
        runner_name: job
            .opt_string("runner_name")
            .filter(|name| !name.is_empty()),
        conclusion: job.opt_string("conclusion"),
        created_at: job.opt_time("created_at"),
        started_at: job.opt_time("started_at"),
        completed_at: job.opt_time("completed_at"),
    };
    Ok(JobDelivery {
        action,
        job: facts,
        raw_labels,
        trimmed: document.trimmed(),
    })
}

fn run(document: &Object<'_>) -> Result<(String, RunReport), InvalidDelivery> {
    let run = document.object("workflow_run", "workflow_run")?;
    let repository = document.object("repository", "repository")?;
    let run_id = run.id("id", "workflow_run.id")?;
    let repo_full_name = repository.string("full_name", "repository.full_name")?;
    let action = document.string("action", "action")?;
    let report = RunReport {
        run_id: RunId(run_id),
        repo_full_name,
        workflow_name: run.opt_string("name"),
        head_branch: run.opt_string("head_branch"),
        head_sha: run.opt_string("head_sha"),
        event: run.opt_string("event"),
        status: run.opt_string("status"),
        conclusion: run.opt_string("conclusion"),
        entity_id: repository
            .opt_object("owner")
            .and_then(|o| o.opt_int("id"))
            .map(EntityId),
    };
    Ok((action, report))
}

#[cfg(test)]
mod tests;
