//! GitHub's example payloads (tests/fixtures, copied unchanged from
//! octokit/webhooks) and small edits of them.

use serde_json::Value;

/// The raw bytes of a fixture, as GitHub would sign them.
pub fn bytes(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// A fixture parsed, for editing.
pub fn json(name: &str) -> Value {
    serde_json::from_slice(&bytes(name)).expect("fixture is JSON")
}

/// Sets the value at a dotted path (creating objects on the way).
pub fn set(mut document: Value, path: &str, value: Value) -> Value {
    *path
        .split('.')
        .fold(&mut document, |node, key| &mut node[key]) = value;
    document
}

/// Removes the member at a dotted path.
pub fn remove(mut document: Value, path: &str) -> Value {
    let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
    let object = if parent.is_empty() {
        &mut document
    } else {
        parent
            .split('.')
            .fold(&mut document, |node, k| &mut node[k])
    };
    object.as_object_mut().expect("an object").remove(key);
    document
}

/// Serialised for sending.
pub fn body(document: &Value) -> Vec<u8> {
    serde_json::to_vec(document).expect("serialisable")
}

/// A workflow_job fixture with another job id and labels.
pub fn job(name: &str, job_id: i64, labels: &[&str]) -> Value {
    let document = set(json(name), "workflow_job.id", job_id.into());
    set(
        document,
        "workflow_job.labels",
        labels.iter().map(|l| Value::from(*l)).collect(),
    )
}
