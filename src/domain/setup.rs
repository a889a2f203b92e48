//! The post-install landing pages: which of the five outcomes
//! a user who just installed one of the two Apps sees.

/// Which App's page: the organization App or the personal-account one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppKind {
    Org,
    Personal,
}

impl AppKind {
    /// The account type an installation of this App must have.
    pub fn account_type(self) -> &'static str {
        match self {
            Self::Org => "Organization",
            Self::Personal => "User",
        }
    }
}

/// What GitHub says about an installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    pub login: String,
    /// `Organization` or `User`.
    pub account_type: String,
}

/// The page to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupOutcome {
    /// No or a non-integer `installation_id`.
    Missing,
    /// GitHub does not know the installation for this App: the user
    /// probably installed the other one.
    WrongApp,
    /// GitHub failed or timed out.
    UpstreamError,
    InstalledOk {
        login: String,
    },
    /// The org App on a personal account, or the reverse.
    WrongType {
        login: String,
        account_type: String,
    },
}

impl SetupOutcome {
    /// Decides from GitHub's answer (`Ok(None)`: not found) for `page`.
    pub fn decide(page: AppKind, answer: Result<Option<Installation>, ()>) -> Self {
        match answer {
            Err(()) => Self::UpstreamError,
            Ok(None) => Self::WrongApp,
            Ok(Some(installation)) if installation.account_type == page.account_type() => {
                Self::InstalledOk {
                    login: installation.login,
                }
            }
            Ok(Some(installation)) => Self::WrongType {
                login: installation.login,
                account_type: installation.account_type,
            },
        }
    }

    /// The outcome's name (in the page too, for tooling).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::WrongApp => "wrongApp",
            Self::UpstreamError => "upstreamError",
            Self::InstalledOk { .. } => "installedOK",
            Self::WrongType { .. } => "wrongType",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::unnecessary_wraps)] // the shape `decide` takes
    fn found(account_type: &str) -> Result<Option<Installation>, ()> {
        Ok(Some(Installation {
            login: "acme".into(),
            account_type: account_type.into(),
        }))
    }

    #[test]
    fn each_answer_gives_its_outcome() {
        let cases = [
            (AppKind::Org, found("Organization"), "installedOK"),
            (AppKind::Personal, found("User"), "installedOK"),
            (AppKind::Org, found("User"), "wrongType"),
            (AppKind::Personal, found("Organization"), "wrongType"),
            (AppKind::Org, Ok(None), "wrongApp"),
            (AppKind::Personal, Err(()), "upstreamError"),
        ];
        for (page, answer, name) in cases {
            let outcome = SetupOutcome::decide(page, answer);
            assert_eq!(outcome.name(), name, "{page:?}");
        }
        assert_eq!(SetupOutcome::Missing.name(), "missing");
    }
}
