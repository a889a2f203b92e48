//! `workflow_runs` rows: forward-only status.

use super::ids::{EntityId, RunId};

/// A `workflow_run` delivery's facts, as upserted into `workflow_runs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    pub run_id: RunId,
    pub repo_full_name: String,
    pub workflow_name: Option<String>,
    pub head_branch: Option<String>,
    pub head_sha: Option<String>,
    pub event: Option<String>,
    pub status: Option<String>,
    pub conclusion: Option<String>,
    pub entity_id: Option<EntityId>,
}

/// How far along a run status is; unknown statuses count as waiting.
fn rank(status: Option<&str>) -> u8 {
    match status {
        Some("requested") | None => 0,
        Some("in_progress") => 2,
        Some("completed") => 3,
        Some(_) => 1,
    }
}

/// Whether a delivery reporting `new` may overwrite a row whose status is
/// `current`: statuses never move back (a late `requested` after
/// `completed` changes nothing), equal ranks refresh the row.
pub fn run_advances(current: Option<&str>, new: Option<&str>) -> bool {
    rank(new) >= rank(current)
}

#[cfg(test)]
mod tests {
    use super::run_advances;

    #[test]
    fn run_status_only_moves_forward() {
        let cases = [
            (Some("requested"), Some("in_progress"), true),
            (Some("in_progress"), Some("completed"), true),
            (Some("completed"), Some("requested"), false),
            (Some("completed"), Some("in_progress"), false),
            (Some("in_progress"), Some("queued"), false),
            (Some("queued"), Some("waiting"), true),
            (Some("completed"), Some("completed"), true),
            (None, Some("requested"), true),
        ];
        for (current, new, expected) in cases {
            assert_eq!(
                run_advances(current, new),
                expected,
                "{current:?} -> {new:?}"
            );
        }
    }
}
