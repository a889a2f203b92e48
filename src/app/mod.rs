//! Use cases and the composition root.

pub mod startup;
pub mod trace;
pub mod webhook_service;
