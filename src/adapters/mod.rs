//! Adapters: the outside world behind the ports.

pub mod github;
pub mod http;
pub mod memory;
pub mod postgres;
pub mod staging;
