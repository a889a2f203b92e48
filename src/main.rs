//! The `ghfe` binary: parse the command line, load the settings, run.

use std::process::ExitCode;

use clap::Parser;
use ghfe::startup::cli::{self, Cli, Command, CONFIG_ERROR};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match ghfe::config::load_from_process(ghfe::startup::adapter_problems) {
        Ok(settings) => settings,
        Err(problems) => {
            eprint!("ghfe: {problems}");
            return ExitCode::from(CONFIG_ERROR);
        }
    };
    cli::run(cli.command.unwrap_or(Command::Serve), &settings)
}
