//! Which deployment this process is: production or not decides the image tag
//! suffix and the default database schema.

/// The deployment a running ghfe serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deployment {
    Production,
    Staging,
}

impl Deployment {
    /// Appended to a rule's image: `riscv-runner:ubuntu-24.04` becomes
    /// `riscv-runner:ubuntu-24.04-latest` in production, `…-staging` elsewhere.
    pub fn image_suffix(self) -> &'static str {
        match self {
            Self::Production => "-latest",
            Self::Staging => "-staging",
        }
    }

    /// The schema used when `database.schema` is not set.
    pub fn default_schema(self) -> &'static str {
        match self {
            Self::Production => "prod",
            Self::Staging => "staging",
        }
    }
}
