//! Use cases and the composition root.

pub mod trace;
pub mod webhook_service;
