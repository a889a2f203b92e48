//! The command line: `serve` (default), `migrate`,
//! `check-config`, `routes`, `send`, `redeliver`.

/// `println!` that ends quietly when standard output is closed (`ghfe
/// check-config | head`) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::startup::cli::say(&format!($($arg)*))
    };
}

mod redeliver;
mod routes;
mod send;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use super::{pg_options, Application};
use crate::adapters::postgres::{migrate, Direction};
use crate::config::Settings;
use crate::telemetry;

/// Writes `line` to standard output; a closed pipe ends the process
/// quietly (it is the reader's choice), any other write error reports it.
pub fn say(line: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(error) = writeln!(out, "{line}").and_then(|()| out.flush()) {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("ghfe: cannot write to standard output: {error}");
    }
}

/// Exit status for unusable configuration.
pub const CONFIG_ERROR: u8 = 2;

/// ghfe: verifies GitHub App webhooks and records runner demand in PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "ghfe", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve webhooks (the default).
    Serve,
    /// Apply pending database migrations in the deployment schema.
    Migrate {
        /// Revert the latest migration instead.
        #[arg(long, conflicts_with = "revert_all")]
        revert: bool,
        /// Revert every migration: drops ghfe's tables and their data.
        #[arg(long)]
        revert_all: bool,
    },
    /// Validate the configuration and print it with secrets masked.
    CheckConfig,
    /// Print how a job with these labels would be routed.
    Routes {
        /// The repository owner's account id.
        #[arg(long)]
        owner_id: i64,
        /// The repository, `owner/name`.
        #[arg(long)]
        repo: String,
        /// The job's `runs-on` labels.
        #[arg(required = true)]
        labels: Vec<String>,
    },
    /// Sign a payload file with the configured secret and post it, as GitHub would.
    Send {
        /// A webhook payload (JSON file).
        payload: PathBuf,
        /// The `X-GitHub-Event` header, e.g. `workflow_job`.
        #[arg(long)]
        event: String,
        /// Where to post; defaults to this configuration's local port.
        #[arg(long)]
        url: Option<String>,
        /// Reuse a delivery GUID (to see redelivery handling); random otherwise.
        #[arg(long)]
        delivery: Option<String>,
        /// The `X-GitHub-Hook-Installation-Target-Id`; defaults to a configured app id, else 1.
        #[arg(long)]
        app_id: Option<i64>,
    },
    /// Ask GitHub, once, to redeliver each App's deliveries that never reached ghfe.
    Redeliver {
        /// Print what would be redelivered; ask nothing and keep no state.
        #[arg(long)]
        dry_run: bool,
        /// Look this far back (e.g. 90m, 6h, 2d) instead of to the last run's checkpoint.
        #[arg(long, value_parser = redeliver::parse_duration)]
        since: Option<chrono::TimeDelta>,
    },
}

/// Runs `command` with `settings`.
pub fn run(command: Command, settings: &Settings) -> ExitCode {
    let needs_database = matches!(
        command,
        Command::Serve | Command::Migrate { .. } | Command::Redeliver { .. }
    );
    if needs_database && settings.database.url.is_none() {
        eprintln!("ghfe: invalid configuration:\n  - database.url is not set (POSTGRES_URL or GHFE__DATABASE__URL)");
        return ExitCode::from(CONFIG_ERROR);
    }
    match command {
        Command::Serve => {
            telemetry::init(settings);
            report(actix_web::rt::System::new().block_on(serve(settings)))
        }
        Command::Migrate { revert, revert_all } => {
            let direction = match (revert, revert_all) {
                (true, _) => Direction::RevertLast,
                (_, true) => Direction::RevertAll,
                _ => Direction::Up,
            };
            report(runtime().and_then(|rt| rt.block_on(run_migrations(settings, direction))))
        }
        Command::CheckConfig => {
            say!("{}", settings.masked_json());
            ExitCode::SUCCESS
        }
        Command::Routes {
            owner_id,
            repo,
            labels,
        } => routes::print(settings, owner_id, &repo, &labels),
        Command::Send {
            payload,
            event,
            url,
            delivery,
            app_id,
        } => {
            let request = send::Request {
                payload,
                event,
                url,
                delivery,
                app_id,
            };
            match runtime().and_then(|rt| rt.block_on(send::send(settings, request))) {
                Ok(code) => code,
                Err(error) => report(Err(error)),
            }
        }
        Command::Redeliver { dry_run, since } => {
            let options = crate::app::redelivery::RunOptions { dry_run, since };
            report(runtime().and_then(|rt| rt.block_on(redeliver::redeliver(settings, options))))
        }
    }
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    app.run_until_stopped().await?;
    Ok(())
}

async fn run_migrations(settings: &Settings, direction: Direction) -> anyhow::Result<()> {
    let options = pg_options(settings)?;
    let versions = migrate(&options, direction)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let verb = if direction == Direction::Up {
        "applied"
    } else {
        "reverted"
    };
    if versions.is_empty() {
        say!("schema {}: up to date, nothing {verb}", options.schema);
    }
    for version in versions {
        say!("schema {}: {verb} {version}", options.schema);
    }
    Ok(())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ghfe: {error:#}");
            ExitCode::FAILURE
        }
    }
}
