//! ghfe: the webhook front door of a self-hosted GitHub Actions runner fleet.
//!
//! Layers (see ARCHITECTURE.md): `domain` ← `ports` ← `app` ← `adapters`;
//! only `app::startup` and `main.rs` name concrete adapters.

pub mod adapters;
pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod ports;
pub mod telemetry;
