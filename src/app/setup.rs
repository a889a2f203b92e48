//! The post-install landing pages: what GitHub says about the
//! installation, and what the page shows.

use crate::domain::ids::InstallationId;
use crate::domain::setup::{AppKind, SetupOutcome};
use crate::ports::InstallationLookup;

/// How a page names and links an App.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppLink {
    pub name: String,
    pub install_url: Option<String>,
}

/// Everything a setup page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupPage {
    pub page: AppKind,
    pub outcome: SetupOutcome,
    /// The App of this page and the other one (for wrong-App links).
    pub this_app: AppLink,
    pub other_app: AppLink,
    /// The `runs-on` label to use.
    pub runs_on: String,
}

/// Builds setup pages from GitHub's answers.
#[derive(Debug)]
pub struct SetupService<L> {
    lookup: L,
    org: AppLink,
    personal: AppLink,
    runs_on: String,
}

impl<L: InstallationLookup> SetupService<L> {
    pub fn new(lookup: L, org: AppLink, personal: AppLink, runs_on: String) -> Self {
        Self {
            lookup,
            org,
            personal,
            runs_on,
        }
    }

    /// The page for `installation_id` as found in the query string.
    pub async fn page(&self, page: AppKind, installation_id: Option<&str>) -> SetupPage {
        let id = installation_id
            .and_then(|raw| raw.parse::<i64>().ok())
            .filter(|id| *id > 0);
        let outcome = match id {
            None => SetupOutcome::Missing,
            Some(id) => {
                let answer = self.lookup.installation(page, InstallationId(id)).await;
                SetupOutcome::decide(
                    page,
                    answer.map_err(|error| tracing::warn!(installation.id = id, %error, "installation lookup failed")),
                )
            }
        };
        let (this_app, other_app) = match page {
            AppKind::Org => (self.org.clone(), self.personal.clone()),
            AppKind::Personal => (self.personal.clone(), self.org.clone()),
        };
        SetupPage {
            page,
            outcome,
            this_app,
            other_app,
            runs_on: self.runs_on.clone(),
        }
    }
}
