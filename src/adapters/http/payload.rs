//! Reading a verified JSON body into a typed [`Delivery`] (SPEC §1.2,
//! §1.3 step 1). Identity fields are strict, with the path of the field in
//! the 400 message; informational fields are read leniently.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::delivery::{
    Context, Delivery, DeliveryKind, Entity, InvalidDelivery, JobDelivery,
};
use crate::domain::ids::{AppId, DeliveryId, EntityId, InstallationId, JobId, RunId};
use crate::domain::labels::LabelSet;
use crate::domain::run::RunReport;

/// The delivery's headers, already checked.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub event: String,
    pub delivery_id: Option<DeliveryId>,
    pub app_id: AppId,
}

/// Builds the typed delivery of `document`; `raw` holds the bytes it was
/// parsed from, copied only for the events whose full body is stored.
pub fn read(envelope: Envelope, document: Value, raw: &[u8]) -> Result<Delivery, InvalidDelivery> {
    if !document.is_object() {
        return Err(InvalidDelivery::NotAnObject);
    }
    // serde_json accepted the bytes, so they are UTF-8.
    let body = || String::from_utf8_lossy(raw).into_owned();
    let mut context = context(&document);
    let kind = match envelope.event.as_str() {
        "ping" => DeliveryKind::Ping { body: body() },
        "installation" | "installation_repositories" => {
            object(&document, "installation")?;
            let account = object(&document, "installation.account")?;
            let installation = &document["installation"];
            context.installation_id = installation
                .get("id")
                .and_then(Value::as_i64)
                .map(InstallationId);
            context.entity = entity(
                installation
                    .get("target_type")
                    .or_else(|| account.get("type")),
                installation.get("target_id").or_else(|| account.get("id")),
                account.get("login"),
            );
            DeliveryKind::Installation {
                action: string(&document, "action")?.to_owned(),
                body: body(),
            }
        }
        "installation_target" => {
            let account = object(&document, "account")?;
            object(&document, "installation")?;
            context.entity = entity(
                document.get("target_type"),
                account.get("id"),
                account.get("login"),
            );
            DeliveryKind::Installation {
                action: string(&document, "action")?.to_owned(),
                body: body(),
            }
        }
        "workflow_job" => DeliveryKind::WorkflowJob(Box::new(job(document)?)),
        "workflow_run" => {
            let (action, run) = run(&document)?;
            DeliveryKind::WorkflowRun {
                action,
                run,
                body: body(),
            }
        }
        _ => DeliveryKind::Other { body: body() },
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
fn context(document: &Value) -> Context {
    let owner = at(document, "repository.owner");
    Context {
        installation_id: at(document, "installation.id")
            .and_then(Value::as_i64)
            .map(InstallationId),
        entity: owner.and_then(|o| entity(o.get("type"), o.get("id"), o.get("login"))),
        repo_full_name: at(document, "repository.full_name")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

fn entity(kind: Option<&Value>, id: Option<&Value>, name: Option<&Value>) -> Option<Entity> {
    Some(Entity {
        kind: kind.and_then(Value::as_str).unwrap_or_default().to_owned(),
        id: EntityId(id.and_then(Value::as_i64)?),
        name: name.and_then(Value::as_str).unwrap_or_default().to_owned(),
    })
}

fn job(mut document: Value) -> Result<JobDelivery, InvalidDelivery> {
    object(&document, "repository")?;
    object(&document, "repository.owner")?;
    let owner_id = nonzero(&document, "repository.owner.id")?;
    let repo_full_name = string(&document, "repository.full_name")?.to_owned();
    int(&document, "repository.id")?;
    object(&document, "workflow_job")?;
    let job_id = nonzero(&document, "workflow_job.id")?;
    let action = string(&document, "action")?.to_owned();
    let kind = string(&document, "repository.owner.type")?;
    if kind != "Organization" && kind != "User" {
        return Err(InvalidDelivery::UnsupportedOwnerType(kind.to_owned()));
    }
    let owner = Entity {
        kind: kind.to_owned(),
        id: EntityId(owner_id),
        name: optional_string(&document, "repository.owner.login").unwrap_or_default(),
    };
    let raw_labels = labels(&document)?;
    Ok(JobDelivery {
        action,
        job_id: JobId(job_id),
        owner,
        repo_full_name,
        installation_id: at(&document, "installation.id")
            .and_then(Value::as_i64)
            .map(InstallationId),
        labels: raw_labels.iter().collect::<LabelSet>(),
        raw_labels,
        html_url: optional_string(&document, "workflow_job.html_url"),
        name: optional_string(&document, "workflow_job.name"),
        run_id: at(&document, "workflow_job.run_id")
            .and_then(Value::as_i64)
            .map(RunId),
        runner_name: optional_string(&document, "workflow_job.runner_name")
            .filter(|name| !name.is_empty()),
        conclusion: optional_string(&document, "workflow_job.conclusion"),
        created_at: time(&document, "workflow_job.created_at"),
        started_at: time(&document, "workflow_job.started_at"),
        completed_at: time(&document, "workflow_job.completed_at"),
        document: std::mem::take(&mut document),
    })
}

/// `workflow_job.labels`: absent or null is an empty list.
fn labels(document: &Value) -> Result<Vec<String>, InvalidDelivery> {
    const PATH: &str = "workflow_job.labels";
    match at(document, PATH) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or(InvalidDelivery::InvalidField(PATH))
            })
            .collect(),
        Some(_) => Err(InvalidDelivery::InvalidField(PATH)),
    }
}

fn run(document: &Value) -> Result<(String, RunReport), InvalidDelivery> {
    object(document, "workflow_run")?;
    object(document, "repository")?;
    let run_id = nonzero(document, "workflow_run.id")?;
    let repo_full_name = string(document, "repository.full_name")?.to_owned();
    let action = string(document, "action")?.to_owned();
    let report = RunReport {
        run_id: RunId(run_id),
        repo_full_name,
        workflow_name: optional_string(document, "workflow_run.name"),
        head_branch: optional_string(document, "workflow_run.head_branch"),
        head_sha: optional_string(document, "workflow_run.head_sha"),
        event: optional_string(document, "workflow_run.event"),
        status: optional_string(document, "workflow_run.status"),
        conclusion: optional_string(document, "workflow_run.conclusion"),
        entity_id: at(document, "repository.owner.id")
            .and_then(Value::as_i64)
            .map(EntityId),
    };
    Ok((action, report))
}

/// The value at a dotted path; `None` when absent or null.
fn at<'a>(document: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(document, |node, key| node.get(key))
        .filter(|value| !value.is_null())
}

fn object<'a>(
    document: &'a Value,
    path: &'static str,
) -> Result<&'a serde_json::Map<String, Value>, InvalidDelivery> {
    let value = at(document, path).ok_or(InvalidDelivery::MissingField(path))?;
    value.as_object().ok_or(InvalidDelivery::InvalidField(path))
}

fn string<'a>(document: &'a Value, path: &'static str) -> Result<&'a str, InvalidDelivery> {
    let value = at(document, path).ok_or(InvalidDelivery::MissingField(path))?;
    value.as_str().ok_or(InvalidDelivery::InvalidField(path))
}

fn int(document: &Value, path: &'static str) -> Result<i64, InvalidDelivery> {
    let value = at(document, path).ok_or(InvalidDelivery::MissingField(path))?;
    value.as_i64().ok_or(InvalidDelivery::InvalidField(path))
}

/// An id: 0 is GitHub's (and the predecessor's) "absent".
fn nonzero(document: &Value, path: &'static str) -> Result<i64, InvalidDelivery> {
    match int(document, path)? {
        0 => Err(InvalidDelivery::MissingField(path)),
        id => Ok(id),
    }
}

fn optional_string(document: &Value, path: &str) -> Option<String> {
    at(document, path)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn time(document: &Value, path: &str) -> Option<DateTime<Utc>> {
    let text = at(document, path)?.as_str()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests;
