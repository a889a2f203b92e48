//! ghfe: the webhook front door of a self-hosted GitHub Actions runner fleet.
//!
//! Layers (see docs/architecture.md): `domain` ← `ports` ← `app` ←
//! `adapters` ← `startup`; only the composition root (`startup`, with the
//! command line, and `main.rs`) names concrete adapters.

pub mod adapters;
pub mod app;
pub mod config;
pub mod domain;
pub mod metric_help;
pub mod ports;
pub mod startup;
pub mod telemetry;
