//! Re-embed migrations whenever one is added or changed, and name the
//! commit being built (`GHFE_COMMIT`, from the environment or git) for
//! `ghfe_build_info`.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-env-changed=GHFE_COMMIT");
    let commit = std::env::var("GHFE_COMMIT").ok().or_else(git_commit);
    println!(
        "cargo:rustc-env=GHFE_COMMIT={}",
        commit.as_deref().unwrap_or("unknown")
    );
}

/// The checked-out commit, watched so a new one rebuilds.
fn git_commit() -> Option<String> {
    let run = |args: &[&str]| {
        let output = Command::new("git").args(args).output().ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    // A path that does not exist would rebuild every time: watch only
    // those that do.
    let watch = |path: Option<String>| {
        if let Some(path) = path.filter(|p| std::path::Path::new(p).exists()) {
            println!("cargo:rerun-if-changed={path}");
        }
    };
    watch(run(&["rev-parse", "--git-path", "HEAD"]));
    if let Some(reference) = run(&["symbolic-ref", "-q", "HEAD"]) {
        watch(run(&["rev-parse", "--git-path", &reference]));
    }
    run(&["rev-parse", "--short=12", "HEAD"])
}
