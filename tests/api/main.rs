//! The HTTP surface through a real socket against PostgreSQL: every check,
//! event and job row of docs/behaviour.md, redeliveries, faults, adoption,
//! trace, the operator surface and the CLI.

#[path = "../support/mod.rs"]
mod support;

mod adoption;
mod batching;
mod checks;
mod cli;
mod deliveries_page;
mod dispatch;
mod faults;
mod hostile_input;
mod operator_errors;
mod outage;
mod probes;
mod proxy;
mod rate_limits;
mod reconcile_runs;
mod redelivery;
mod redelivery_loop;
mod redelivery_runs;
mod retention;
mod setup;
mod stats_page;
mod tls;
mod trace;
mod usage_history;
mod wake_up;
mod webhook_api;
mod workflow_job;
