//! The `ghfe` binary run as an operator runs it, with only the given
//! environment.

use std::process::{Command, Output};

/// Runs `ghfe args…` from the project directory with only `vars` set.
pub fn ghfe(args: &[&str], vars: &[(&str, &str)]) -> Output {
    command(args, vars).output().expect("ghfe runs")
}

/// The command [`ghfe`] runs, to spawn or adjust.
pub fn command(args: &[&str], vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ghfe"));
    command
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear();
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    command.envs(vars.iter().copied());
    command
}

/// What it printed.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What it printed on standard error.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
