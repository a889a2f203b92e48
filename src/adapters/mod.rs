//! Adapters: the outside world behind the ports.

pub mod http;
pub mod memory;
pub mod postgres;
