//! Label routing: an ordered list of rules, the first match wins.
//!
//! A rule matches when the job is inside its scope (if it has one) and its
//! labels match in the rule's mode. A job inside an *exclusive* scope is,
//! from that scope's first rule on, routed only by rules of that scope.

use std::collections::BTreeMap;
use std::fmt;

use super::deployment::Deployment;
use super::glob::RepoGlob;
use super::ids::EntityId;
use super::labels::LabelSet;

/// How a rule's labels are compared with a job's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchMode {
    /// The job's label set equals the rule's (the predecessor's rule).
    Exact,
    /// Every job label is in the rule's set (GitHub's self-hosted rule).
    Subset,
}

/// A named group of accounts and repositories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub name: String,
    /// Owners inside the scope.
    pub owner_ids: Vec<EntityId>,
    /// Repositories inside the scope.
    pub repos: Vec<RepoGlob>,
    /// Jobs inside are never routed by rules outside the scope that come
    /// after the scope's first rule.
    pub exclusive: bool,
}

impl Scope {
    /// A job is inside when its owner is listed or its repository matches
    /// one of the globs.
    pub fn contains(&self, owner: EntityId, repo: &str) -> bool {
        self.owner_ids.contains(&owner) || self.repos.iter().any(|glob| glob.matches(repo))
    }
}

/// One routing rule as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub name: String,
    /// Name of a [`Scope`]; `None` applies to everyone.
    pub scope: Option<String>,
    pub labels: LabelSet,
    /// Node-selector value for `riseproject.dev/board`.
    pub pool: String,
    /// Image without the deployment suffix, e.g. `riscv-runner:ubuntu-24.04`.
    pub image: String,
    pub priority: i32,
    pub mode: MatchMode,
}

/// Where a job runs: the outcome of a successful route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The rule that matched.
    pub rule: String,
    pub pool: String,
    /// Full image reference with the deployment's tag suffix.
    pub image: String,
    pub priority: i32,
}

/// What the router decided for one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Placed(Placement),
    /// No rule matched; `confined_to` names the exclusive scope that kept
    /// later rules from applying, if one did.
    Unrouted {
        confined_to: Option<String>,
    },
}

/// A configuration mistake found while building a [`Router`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouterError {
    UnknownScope { rule: String, scope: String },
    EmptyLabels { rule: String },
    EmptyField { rule: String, field: &'static str },
    DuplicateRule(String),
    DuplicateScope(String),
}

impl fmt::Display for RouterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownScope { rule, scope } => {
                write!(f, "routing rule {rule:?} names unknown scope {scope:?}")
            }
            Self::EmptyLabels { rule } => write!(f, "routing rule {rule:?} has no labels"),
            Self::EmptyField { rule, field } => {
                write!(f, "routing rule {rule:?} has an empty {field}")
            }
            Self::DuplicateRule(name) => write!(f, "routing rule name {name:?} is used twice"),
            Self::DuplicateScope(name) => write!(f, "routing scope name {name:?} is used twice"),
        }
    }
}

/// The compiled routing table.
#[derive(Debug, Clone)]
pub struct Router {
    scopes: Vec<Scope>,
    /// Each rule with the index of its scope.
    rules: Vec<(Rule, Option<usize>)>,
    /// Label → priority weight (labels lower-case).
    weights: BTreeMap<String, i32>,
    deployment: Deployment,
}

impl Router {
    /// Builds the table, reporting every mistake at once.
    pub fn new(
        scopes: Vec<Scope>,
        rules: Vec<Rule>,
        weights: impl IntoIterator<Item = (String, i32)>,
        deployment: Deployment,
    ) -> Result<Self, Vec<RouterError>> {
        let mut errors = Vec::new();
        for (i, scope) in scopes.iter().enumerate() {
            if scopes[..i].iter().any(|other| other.name == scope.name) {
                errors.push(RouterError::DuplicateScope(scope.name.clone()));
            }
        }
        let mut compiled: Vec<(Rule, Option<usize>)> = Vec::with_capacity(rules.len());
        for rule in rules {
            if compiled.iter().any(|(other, _)| other.name == rule.name) {
                errors.push(RouterError::DuplicateRule(rule.name.clone()));
            }
            if rule.labels.is_empty() {
                errors.push(RouterError::EmptyLabels {
                    rule: rule.name.clone(),
                });
            }
            for (field, value) in [("pool", &rule.pool), ("image", &rule.image)] {
                if value.trim().is_empty() {
                    errors.push(RouterError::EmptyField {
                        rule: rule.name.clone(),
                        field,
                    });
                }
            }
            let scope_index = match &rule.scope {
                None => None,
                Some(name) => {
                    let found = scopes.iter().position(|scope| &scope.name == name);
                    if found.is_none() {
                        errors.push(RouterError::UnknownScope {
                            rule: rule.name.clone(),
                            scope: name.clone(),
                        });
                    }
                    found
                }
            };
            compiled.push((rule, scope_index));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let weights = weights
            .into_iter()
            .map(|(label, weight)| (label.to_lowercase(), weight))
            .collect();
        Ok(Self {
            scopes,
            rules: compiled,
            weights,
            deployment,
        })
    }

    /// Routes a job of `owner`'s repository `repo` with `labels`.
    pub fn route(&self, owner: EntityId, repo: &str, labels: &LabelSet) -> Route {
        if labels.is_empty() {
            return Route::Unrouted { confined_to: None };
        }
        let mut confined: Option<usize> = None;
        for (rule, scope) in &self.rules {
            if confined.is_some() && *scope != confined {
                continue;
            }
            if let Some(index) = *scope {
                let scope = &self.scopes[index];
                if !scope.contains(owner, repo) {
                    continue;
                }
                if scope.exclusive {
                    confined = Some(index);
                }
            }
            if Self::labels_match(rule, labels) {
                return Route::Placed(self.placement(rule, labels));
            }
        }
        Route::Unrouted {
            confined_to: confined.map(|index| self.scopes[index].name.clone()),
        }
    }

    fn labels_match(rule: &Rule, labels: &LabelSet) -> bool {
        match rule.mode {
            MatchMode::Exact => *labels == rule.labels,
            MatchMode::Subset => labels.is_subset(&rule.labels),
        }
    }

    fn placement(&self, rule: &Rule, labels: &LabelSet) -> Placement {
        let weight: i32 = labels
            .iter()
            .filter_map(|label| self.weights.get(label))
            .sum();
        Placement {
            rule: rule.name.clone(),
            pool: rule.pool.clone(),
            image: format!("{}{}", rule.image, self.deployment.image_suffix()),
            priority: rule.priority.saturating_add(weight),
        }
    }
}

#[cfg(test)]
mod tests;
