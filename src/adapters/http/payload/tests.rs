//! The payload reader against hand-built documents: each required field,
//! owner types, labels and the entity of installation events.

use serde_json::{json, Value};

use super::*;

fn envelope(event: &str) -> Envelope {
    Envelope {
        event: event.into(),
        delivery_id: None,
        app_id: AppId(1),
    }
}

fn job_document() -> Value {
    json!({
        "action": "queued",
        "workflow_job": {
            "id": 11, "run_id": 22, "name": "build", "html_url": "https://github.com/o/r/runs/11",
            "labels": ["Ubuntu-24.04-riscv", "ubuntu-24.04-riscv"], "runner_name": "",
            "created_at": "2026-01-01T00:00:00Z", "started_at": "not a time"
        },
        "repository": {"id": 33, "full_name": "o/r", "owner": {"id": 44, "login": "o", "type": "Organization"}},
        "installation": {"id": 55}
    })
}

fn read_job(document: &Value) -> Result<JobDelivery, InvalidDelivery> {
    match read(
        envelope("workflow_job"),
        &serde_json::to_vec(&document).unwrap(),
    )?
    .kind
    {
        DeliveryKind::WorkflowJob(job) => Ok(*job),
        other => panic!("not a job: {other:?}"),
    }
}

fn without(mut document: Value, path: &str) -> Value {
    let (parent, key) = path.rsplit_once('.').map_or(("", path), |(p, k)| (p, k));
    let target = if parent.is_empty() {
        &mut document
    } else {
        parent
            .split('.')
            .fold(&mut document, |node, k| &mut node[k])
    };
    target.as_object_mut().unwrap().remove(key);
    document
}

fn with(mut document: Value, path: &str, value: Value) -> Value {
    *path.split('.').fold(&mut document, |node, k| &mut node[k]) = value;
    document
}

#[test]
fn a_complete_job_payload_reads_into_its_parts() {
    let job = read_job(&job_document()).unwrap();
    assert_eq!(job.job.job_id, JobId(11));
    assert_eq!(
        job.job.entity,
        Entity {
            kind: "Organization".into(),
            id: EntityId(44),
            name: "o".into()
        }
    );
    assert_eq!(job.job.installation_id, Some(InstallationId(55)));
    assert_eq!(
        job.job.labels.iter().collect::<Vec<_>>(),
        ["ubuntu-24.04-riscv"]
    );
    assert_eq!(job.raw_labels.len(), 2);
    assert_eq!(
        job.job.runner_name, None,
        "an empty runner name is no runner name"
    );
    assert!(job.job.created_at.is_some());
    assert_eq!(job.job.started_at, None, "an unreadable time is left out");
}

#[test]
fn each_missing_identity_field_is_named() {
    for path in [
        "repository",
        "repository.owner",
        "repository.owner.id",
        "repository.full_name",
        "repository.id",
        "workflow_job",
        "workflow_job.id",
        "action",
        "repository.owner.type",
    ] {
        let error = read_job(&without(job_document(), path)).unwrap_err();
        assert_eq!(error.to_string(), format!("Missing field: {path}"));
    }
}

#[test]
fn zero_ids_count_as_missing_and_wrong_types_as_invalid() {
    let zero_owner = with(job_document(), "repository.owner.id", json!(0));
    assert_eq!(
        read_job(&zero_owner).unwrap_err(),
        InvalidDelivery::MissingField("repository.owner.id")
    );
    let zero_job = with(job_document(), "workflow_job.id", json!(0));
    assert_eq!(
        read_job(&zero_job).unwrap_err(),
        InvalidDelivery::MissingField("workflow_job.id")
    );
    let text_id = with(job_document(), "workflow_job.id", json!("11"));
    assert_eq!(
        read_job(&text_id).unwrap_err(),
        InvalidDelivery::InvalidField("workflow_job.id")
    );
    let labels = with(job_document(), "workflow_job.labels", json!("ubuntu"));
    assert_eq!(
        read_job(&labels).unwrap_err(),
        InvalidDelivery::InvalidField("workflow_job.labels")
    );
}

#[test]
fn only_organizations_and_users_own_jobs() {
    let bot = with(job_document(), "repository.owner.type", json!("Bot"));
    assert_eq!(
        read_job(&bot).unwrap_err().to_string(),
        "Unsupported owner type: Bot"
    );
    let user = with(job_document(), "repository.owner.type", json!("User"));
    assert_eq!(read_job(&user).unwrap().job.entity.kind, "User");
}

#[test]
fn installation_events_take_their_entity_from_the_installation() {
    let document = json!({
        "action": "created",
        "installation": {"id": 7, "target_type": "Organization", "target_id": 70, "account": {"id": 71, "login": "acme"}}
    });
    let delivery = read(
        envelope("installation"),
        &serde_json::to_vec(&document).unwrap(),
    )
    .unwrap();
    assert_eq!(delivery.context.installation_id, Some(InstallationId(7)));
    assert_eq!(
        delivery.context.entity,
        Some(Entity {
            kind: "Organization".into(),
            id: EntityId(70),
            name: "acme".into()
        })
    );
    let no_account = json!({"action": "created", "installation": {"id": 7}});
    let error = read(
        envelope("installation_repositories"),
        &serde_json::to_vec(&no_account).unwrap(),
    )
    .unwrap_err();
    assert_eq!(error.to_string(), "Missing field: installation.account");
}

#[test]
fn installation_target_uses_the_top_level_account_and_type() {
    let document = json!({
        "action": "renamed", "target_type": "User",
        "account": {"id": 9, "login": "new-login"}, "installation": {"id": 3}
    });
    let delivery = read(
        envelope("installation_target"),
        &serde_json::to_vec(&document).unwrap(),
    )
    .unwrap();
    assert_eq!(
        delivery.context.entity,
        Some(Entity {
            kind: "User".into(),
            id: EntityId(9),
            name: "new-login".into()
        })
    );
    let missing = json!({"action": "renamed", "installation": {"id": 3}});
    let error = read(
        envelope("installation_target"),
        &serde_json::to_vec(&missing).unwrap(),
    )
    .unwrap_err();
    assert_eq!(error, InvalidDelivery::MissingField("account"));
}

#[test]
fn runs_need_the_run_and_its_repository() {
    let document = json!({"action": "requested", "workflow_run": {"id": 5, "status": "queued"}});
    let error = read(
        envelope("workflow_run"),
        &serde_json::to_vec(&document).unwrap(),
    )
    .unwrap_err();
    assert_eq!(error, InvalidDelivery::MissingField("repository"));
}

#[test]
fn anything_but_an_object_is_invalid_json() {
    for document in [json!([]), json!("text"), json!(1), Value::Null] {
        assert_eq!(
            read(envelope("ping"), &serde_json::to_vec(&document).unwrap()).unwrap_err(),
            InvalidDelivery::NotAnObject
        );
    }
}
