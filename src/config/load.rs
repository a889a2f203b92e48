//! Reading the layers and the predecessor's environment variables.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use config::{Config, File, FileFormat};

use super::strict::{deserialize_all, unknown_keys};
use super::validate::validate;
use super::{Environment, Settings};

/// The shipped defaults, compiled in so the binary runs from any directory;
/// `config/default.yaml` on disk is read again on top of them.
const DEFAULT_YAML: &str = include_str!("../../config/default.yaml");

/// The predecessor's variables and the keys they set.
const LEGACY: [(&str, &str); 8] = [
    ("POSTGRES_URL", "GHFE__DATABASE__URL"),
    ("STAGING_URL", "GHFE__STAGING__URL"),
    ("PROD_URL", "GHFE__STAGING__PROD_URL"),
    ("TRACE_API_SECRET", "GHFE__TRACE__SECRET"),
    (
        "GHAPP_ORG_PRIVATE_KEY",
        "GHFE__GITHUB__APPS__ORG__PRIVATE_KEY",
    ),
    (
        "GHAPP_PERSONAL_PRIVATE_KEY",
        "GHFE__GITHUB__APPS__PERSONAL__PRIVATE_KEY",
    ),
    ("LOGLEVEL", "GHFE__LOG__LEVEL"),
    ("PORT", "GHFE__SERVER__PORT"),
];

/// Every configuration problem found, one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for problem in &self.0 {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Loads from the process environment and the working directory, with
/// `more` checks of the settings (the composition root's, of what only
/// the adapters can judge).
pub fn load_from_process(more: fn(&Settings) -> Vec<String>) -> Result<Settings, ConfigErrors> {
    load_with(&std::env::vars().collect(), more)
}

/// Loads and validates the settings that `vars` (an environment) selects.
#[allow(clippy::implicit_hasher)]
pub fn load(vars: &HashMap<String, String>) -> Result<Settings, ConfigErrors> {
    load_with(vars, |_| Vec::new())
}

/// [`load`], with `more` checks.
#[allow(clippy::implicit_hasher)]
pub fn load_with(
    vars: &HashMap<String, String>,
    more: impl Fn(&Settings) -> Vec<String>,
) -> Result<Settings, ConfigErrors> {
    let environment = environment(vars)?;
    let dir = vars
        .get("GHFE_CONFIG_DIR")
        .map_or_else(|| PathBuf::from("config"), PathBuf::from);
    if vars.contains_key("GHFE_CONFIG_DIR") && !dir.is_dir() {
        return Err(ConfigErrors(vec![format!(
            "GHFE_CONFIG_DIR {} is not a directory",
            dir.display()
        )]));
    }

    let mut builder = Config::builder()
        .add_source(File::from_str(DEFAULT_YAML, FileFormat::Yaml))
        .add_source(File::from(dir.join("default.yaml")).required(false))
        .add_source(File::from(dir.join(format!("{}.yaml", environment.as_str()))).required(false))
        .add_source(ghfe_variables(legacy_variables(vars)))
        .add_source(ghfe_variables(vars.clone()));
    if let Some(secrets) = webhook_secrets(vars) {
        builder = builder
            .set_override("webhook.secrets", secrets)
            .map_err(one)?;
    }
    let merged = builder.build().map_err(one)?.cache;
    let defaults = Config::builder()
        .add_source(File::from_str(DEFAULT_YAML, FileFormat::Yaml))
        .build()
        .map_err(one)?
        .cache;
    let (settings, mut problems) = deserialize_all(merged.clone(), &defaults);
    let Some(mut settings) = settings else {
        return Err(ConfigErrors(problems));
    };
    let known = serde_json::to_value(&settings).unwrap_or_default();
    problems.extend(unknown_keys(&merged, &known));
    settings.environment = environment;
    if settings.log.level.is_empty() {
        "info".clone_into(&mut settings.log.level);
    }
    problems.extend(validate(&settings));
    problems.extend(more(&settings));
    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(ConfigErrors(problems))
    }
}

#[allow(clippy::needless_pass_by_value)] // the shape `map_err` hands over
fn one(error: config::ConfigError) -> ConfigErrors {
    ConfigErrors(vec![error.to_string()])
}

/// `GHFE_ENV`, else `PROD` (`true`, in any case, → production; any other
/// value → staging), else development.
fn environment(vars: &HashMap<String, String>) -> Result<Environment, ConfigErrors> {
    if let Some(name) = vars.get("GHFE_ENV") {
        return Environment::parse(name).ok_or_else(|| {
            ConfigErrors(vec![format!(
                "GHFE_ENV={name:?} is not one of development, test, staging, production"
            )])
        });
    }
    Ok(match vars.get("PROD") {
        Some(prod) if prod.trim().eq_ignore_ascii_case("true") => Environment::Production,
        Some(_) => Environment::Staging,
        None => Environment::Development,
    })
}

/// A `GHFE__SECTION__KEY` source over `vars` (lists are handled apart).
fn ghfe_variables(mut vars: HashMap<String, String>) -> config::Environment {
    vars.remove("GHFE__WEBHOOK__SECRETS");
    config::Environment::with_prefix("GHFE")
        .prefix_separator("__")
        .separator("__")
        .source(Some(vars))
}

fn legacy_variables(vars: &HashMap<String, String>) -> HashMap<String, String> {
    LEGACY
        .iter()
        .filter_map(|(old, new)| {
            let value = vars.get(*old)?;
            let value = if *old == "LOGLEVEL" {
                log_level(value)
            } else {
                value.clone()
            };
            Some(((*new).to_owned(), value))
        })
        .collect()
}

/// `LOGLEVEL` as the predecessor read it (Python's level names, any case)
/// turned into a tracing filter; anything else is passed on as a filter.
fn log_level(value: &str) -> String {
    let lower = value.trim().to_lowercase();
    match lower.as_str() {
        "warning" => "warn".to_owned(),
        "critical" | "fatal" => "error".to_owned(),
        "notset" => "trace".to_owned(),
        _ => lower,
    }
}

/// `GHFE__WEBHOOK__SECRETS`, else `GHAPP_WEBHOOK_SECRET`: comma-separated,
/// empty entries ignored.
fn webhook_secrets(vars: &HashMap<String, String>) -> Option<Vec<String>> {
    let list = vars
        .get("GHFE__WEBHOOK__SECRETS")
        .or_else(|| vars.get("GHAPP_WEBHOOK_SECRET"))?;
    Some(
        list.split(',')
            .filter(|secret| !secret.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}
