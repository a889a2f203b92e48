//! Helpers shared by the test binaries (each uses a subset).
#![allow(dead_code)]

pub mod app;
pub mod binary;
pub mod db;
pub mod fake_github;
pub mod fixtures;
pub mod proxy;
pub mod scheduler;
pub mod wake;
