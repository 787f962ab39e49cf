//! sealant: finds Kubernetes Secrets committed in plaintext and seals them, byte-compatible with
//! Bitnami Sealed Secrets. The library does the work and never prints; the CLI renders.

pub(crate) mod baseline;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub(crate) mod controller;
pub mod crypto;
pub mod detect;
pub mod doc;
pub mod error;
pub(crate) mod fetch;
pub mod finding;
pub(crate) mod fingerprint;
pub mod fix;
pub mod graph;
pub(crate) mod io;
pub(crate) mod k8s;
pub(crate) mod keyring;
pub(crate) mod lines;
pub(crate) mod paths;
pub mod pin;
pub(crate) mod report;
pub mod rules;
pub mod scan;
pub mod sealed;
pub(crate) mod size;
pub(crate) mod source;
#[cfg(test)]
mod testing;
pub mod yaml;
