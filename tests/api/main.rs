//! The HTTP surface through a real socket against PostgreSQL: every row of
//! SPEC §1.1, §1.2, §1.3, redeliveries, outages, trace, the operator
//! surface of §4–§5 and the CLI.

#[path = "../support/mod.rs"]
mod support;

mod adoption;
mod batching;
mod checks;
mod cli;
mod dispatch;
mod faults;
mod hostile_input;
mod outage;
mod probes;
mod proxy;
mod rate_limits;
mod redelivery;
mod setup;
mod tls;
mod trace;
mod usage_history;
mod wake_up;
mod webhook_api;
mod workflow_job;
