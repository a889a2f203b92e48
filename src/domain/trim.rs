//! Payload trimming for stored `workflow_job` rows (SPEC §1.6): the API URLs
//! and step lists that make up most of a payload are dropped; everything an
//! operator needs to understand the delivery stays.

use serde_json::{Map, Value};

/// Objects whose `url` and `*_url` members are dropped.
const URL_TRIMMED: [&[&str]; 4] = [
    &["sender"],
    &["repository"],
    &["repository", "owner"],
    &["organization"],
];

/// Members dropped outright, by path.
const DROPPED: [(&[&str], &str); 5] = [
    (&["repository"], "license"),
    (&["workflow_job"], "url"),
    (&["workflow_job"], "run_url"),
    (&["workflow_job"], "check_run_url"),
    (&["workflow_job"], "steps"),
];

fn object_at<'a>(root: &'a mut Value, path: &[&str]) -> Option<&'a mut Map<String, Value>> {
    path.iter()
        .try_fold(root, |node, key| node.get_mut(*key))?
        .as_object_mut()
}

/// Trims a `workflow_job` payload in place. `workflow_job.html_url` is kept.
pub fn trim_workflow_job(payload: &mut Value) {
    for path in URL_TRIMMED {
        if let Some(object) = object_at(payload, path) {
            object.retain(|key, _| key != "url" && !key.ends_with("_url"));
        }
    }
    for (path, key) in DROPPED {
        if let Some(object) = object_at(payload, path) {
            object.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::trim_workflow_job;

    #[test]
    fn urls_license_and_steps_go_and_the_job_link_stays() {
        let mut payload = json!({
            "action": "queued",
            "workflow_job": {
                "id": 1, "url": "u", "run_url": "r", "check_run_url": "c", "html_url": "h",
                "steps": [{"name": "x"}], "labels": ["a"], "runner_name": null
            },
            "repository": {
                "id": 2, "full_name": "o/r", "url": "u", "hooks_url": "h", "license": {"key": "mit"},
                "owner": {"id": 3, "login": "o", "type": "User", "avatar_url": "a", "url": "u"}
            },
            "sender": {"login": "s", "url": "u", "html_url": "h"},
            "organization": {"login": "o", "repos_url": "r", "description": "d"},
            "installation": {"id": 4}
        });
        trim_workflow_job(&mut payload);
        assert_eq!(
            payload,
            json!({
                "action": "queued",
                "workflow_job": {"id": 1, "html_url": "h", "labels": ["a"], "runner_name": null},
                "repository": {"id": 2, "full_name": "o/r", "owner": {"id": 3, "login": "o", "type": "User"}},
                "sender": {"login": "s"},
                "organization": {"login": "o", "description": "d"},
                "installation": {"id": 4}
            })
        );
    }

    #[test]
    fn missing_or_odd_members_are_left_alone() {
        let mut payload = json!({"workflow_job": "not an object", "repository": null});
        let before = payload.clone();
        trim_workflow_job(&mut payload);
        assert_eq!(payload, before);
    }
}
