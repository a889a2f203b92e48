//! Use cases: each turns a request into port calls and domain decisions.

pub mod delivery_feed;
pub mod delivery_log;
pub mod delivery_record;
pub mod reconcile;
pub mod redelivery;
pub mod retention;
pub mod setup;
pub mod shutdown;
pub mod staging_proxy;
pub mod stats;
pub mod trace;
pub mod usage;
pub mod webhook_service;
pub mod wiring;
