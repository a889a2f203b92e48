//! Adapters: the outside world behind the ports.

pub mod memory;
pub mod postgres;
