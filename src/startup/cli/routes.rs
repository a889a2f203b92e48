//! `ghfe routes`: the routing decision for a hypothetical job.

use std::process::ExitCode;

use crate::config::Settings;
use crate::domain::ids::EntityId;
use crate::domain::routing::Route;

/// Prints the decision; exits 0 when placed, 1 when not routed.
pub fn print(settings: &Settings, owner_id: i64, repo: &str, labels: &[String]) -> ExitCode {
    let router = match settings.routing.router(settings.environment.deployment()) {
        Ok(router) => router,
        Err(problems) => {
            eprintln!("ghfe: invalid routing: {}", problems.join("; "));
            return ExitCode::from(super::CONFIG_ERROR);
        }
    };
    match router.route(EntityId(owner_id), repo, &labels.iter().collect()) {
        Route::Placed(placement) => {
            say!(
                "routed by rule {:?}: pool {}, image {}, priority {}",
                placement.rule,
                placement.pool,
                placement.image,
                placement.priority
            );
            ExitCode::SUCCESS
        }
        Route::Unrouted {
            confined_to: Some(scope),
        } => {
            say!("not routed: inside exclusive scope {scope:?}, and none of its rules matches these labels");
            ExitCode::FAILURE
        }
        Route::Unrouted { confined_to: None } => {
            say!("not routed: no rule matches these labels");
            ExitCode::FAILURE
        }
    }
}
