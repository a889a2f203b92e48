//! `routing.*`: the YAML form of the label router.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::deployment::Deployment;
use crate::domain::glob::RepoGlob;
use crate::domain::ids::EntityId;
use crate::domain::routing::{MatchMode, Router, Rule, Scope};

/// The routing table.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RoutingSettings {
    /// Label → priority added to jobs carrying it.
    #[serde(default)]
    pub priority_weights: BTreeMap<String, i32>,
    #[serde(default)]
    pub scopes: Vec<ScopeSettings>,
    /// Tried in order; the first match wins.
    #[serde(default)]
    pub rules: Vec<RuleSettings>,
}

/// A named scope.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ScopeSettings {
    pub name: String,
    #[serde(default)]
    pub owner_ids: Vec<i64>,
    /// Repository full-name globs (`ggml-org/*`).
    #[serde(default)]
    pub repos: Vec<String>,
    #[serde(default)]
    pub exclusive: bool,
}

/// One rule.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RuleSettings {
    pub name: String,
    #[serde(default)]
    pub scope: Option<String>,
    pub labels: Vec<String>,
    pub pool: String,
    /// Without the deployment suffix (`-latest` / `-staging`).
    pub image: String,
    #[serde(default)]
    pub priority: i32,
    #[serde(default)]
    pub mode: MatchModeSetting,
}

/// `exact` (default) or `subset`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchModeSetting {
    #[default]
    Exact,
    Subset,
}

impl RoutingSettings {
    /// Compiles the table for `deployment`; every mistake is reported.
    pub fn router(&self, deployment: Deployment) -> Result<Router, Vec<String>> {
        let scopes = self
            .scopes
            .iter()
            .map(|scope| Scope {
                name: scope.name.clone(),
                owner_ids: scope.owner_ids.iter().copied().map(EntityId).collect(),
                repos: scope.repos.iter().map(|glob| RepoGlob::new(glob)).collect(),
                exclusive: scope.exclusive,
            })
            .collect();
        let rules = self
            .rules
            .iter()
            .map(|rule| Rule {
                name: rule.name.clone(),
                scope: rule.scope.clone(),
                labels: rule.labels.iter().collect(),
                pool: rule.pool.clone(),
                image: rule.image.clone(),
                priority: rule.priority,
                mode: match rule.mode {
                    MatchModeSetting::Exact => MatchMode::Exact,
                    MatchModeSetting::Subset => MatchMode::Subset,
                },
            })
            .collect();
        let weights = self
            .priority_weights
            .iter()
            .map(|(label, weight)| (label.clone(), *weight));
        Router::new(scopes, rules, weights, deployment)
            .map_err(|errors| errors.iter().map(ToString::to_string).collect())
    }
}
