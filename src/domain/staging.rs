//! Which deliveries production forwards to staging: entities
//! flagged in the configuration, optionally only some of their
//! repositories.

use super::ids::EntityId;

/// One flagged entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagingEntity {
    pub owner: EntityId,
    /// Repository full names; empty means every repository of the owner.
    pub repos: Vec<String>,
}

/// The entities whose `workflow_job` deliveries go to staging.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StagingPolicy {
    entities: Vec<StagingEntity>,
}

impl StagingPolicy {
    pub fn new(entities: Vec<StagingEntity>) -> Self {
        Self { entities }
    }

    /// Whether a job of `owner`'s repository `repo` is forwarded.
    /// Repository names compare without case, as on GitHub.
    pub fn forwards(&self, owner: EntityId, repo: &str) -> bool {
        self.entities.iter().any(|entity| {
            entity.owner == owner
                && (entity.repos.is_empty()
                    || entity
                        .repos
                        .iter()
                        .any(|name| name.eq_ignore_ascii_case(repo)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flagged_owners_and_repositories_are_forwarded() {
        let policy = StagingPolicy::new(vec![
            StagingEntity {
                owner: EntityId(1),
                repos: vec![],
            },
            StagingEntity {
                owner: EntityId(2),
                repos: vec!["acme/app".into()],
            },
        ]);
        let cases = [
            (1, "anyone/anything", true),
            (2, "acme/app", true),
            (2, "ACME/App", true),
            (2, "acme/other", false),
            (3, "acme/app", false),
        ];
        for (owner, repo, expected) in cases {
            assert_eq!(
                policy.forwards(EntityId(owner), repo),
                expected,
                "{owner} {repo}"
            );
        }
        assert!(!StagingPolicy::default().forwards(EntityId(1), "a/b"));
    }
}
