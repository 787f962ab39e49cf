//! sealant: finds Kubernetes Secrets committed in plaintext and seals them, byte-compatible with
//! Bitnami Sealed Secrets. The library does the work and never prints; the CLI renders.

pub mod baseline;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod controller;
pub mod crypto;
pub mod detect;
pub mod doc;
pub mod error;
pub mod fetch;
pub mod finding;
pub mod fingerprint;
pub mod fix;
pub mod graph;
pub mod io;
pub mod k8s;
pub mod keyring;
pub mod paths;
pub(crate) mod pin;
pub mod report;
pub mod rules;
pub mod scan;
pub mod sealed;
pub mod size;
pub mod source;
pub mod yaml;
