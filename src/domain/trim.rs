//! Payload trimming for stored `workflow_job` rows: the API URLs
//! and step lists that make up most of a payload are dropped; everything an
//! operator needs to understand the delivery stays.
//!
//! The rule is two predicates over object paths, so any reader of a payload
//! (a parsed tree, or raw text walked member by member) applies it alike.

/// Objects whose `url` and `*_url` members are dropped.
const URL_TRIMMED: [&[&str]; 4] = [
    &["sender"],
    &["repository"],
    &["repository", "owner"],
    &["organization"],
];

/// Members dropped outright, by the path of their object.
const DROPPED: [(&[&str], &str); 5] = [
    (&["repository"], "license"),
    (&["workflow_job"], "url"),
    (&["workflow_job"], "run_url"),
    (&["workflow_job"], "check_run_url"),
    (&["workflow_job"], "steps"),
];

/// Whether member `key` of the object at `path` (from the payload root) is
/// an object inside which members may be dropped.
pub fn descends(path: &[&str], key: &str) -> bool {
    let under = |object: &[&str]| {
        object.len() > path.len() && object.starts_with(path) && object[path.len()] == key
    };
    URL_TRIMMED.iter().any(|object| under(object))
        || DROPPED.iter().any(|(object, _)| under(object))
}

/// Whether member `key` of the object at `path` is dropped.
/// `workflow_job.html_url` is kept.
pub fn is_dropped(path: &[&str], key: &str) -> bool {
    (URL_TRIMMED.contains(&path) && (key == "url" || key.ends_with("_url")))
        || DROPPED
            .iter()
            .any(|(object, dropped)| *object == path && *dropped == key)
}

/// Trims a parsed `workflow_job` payload in place: the rule applied to a
/// tree, the reference the raw-text trimmer of the HTTP adapter is
/// checked against.
#[cfg(test)]
pub fn trim_workflow_job(payload: &mut serde_json::Value) {
    use serde_json::Value;

    fn walk(node: &mut Value, path: &[&str]) {
        let Value::Object(members) = node else { return };
        members.retain(|key, _| !is_dropped(path, key));
        for (key, child) in members.iter_mut() {
            if descends(path, key) {
                let mut inner = path.to_vec();
                inner.push(key);
                walk(child, &inner);
            }
        }
    }
    walk(payload, &[]);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
            "installation": {"id": 4, "url": "kept: not a trimmed object"}
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
                "installation": {"id": 4, "url": "kept: not a trimmed object"}
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

    #[test]
    fn only_the_listed_objects_are_walked() {
        assert!(descends(&[], "repository"));
        assert!(descends(&["repository"], "owner"));
        assert!(!descends(&["repository"], "license"));
        assert!(!descends(&[], "installation"));
        assert!(!descends(&["workflow_job"], "steps"));
        assert!(is_dropped(&["sender"], "avatar_url"));
        assert!(!is_dropped(&["workflow_job"], "html_url"));
        assert!(!is_dropped(&[], "url"));
    }
}
