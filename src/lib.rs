//! sealant: finds Kubernetes Secrets committed in plaintext and seals them, byte-compatible with
//! Bitnami Sealed Secrets. The library does the work and never prints; the CLI renders.

pub mod cli;
pub mod commands;
pub mod crypto;
pub mod doc;
pub mod error;
pub mod io;
pub mod keyring;
pub mod sealed;
pub mod finding;
pub mod yaml;
pub mod fingerprint;
pub mod config;
pub mod baseline;
pub mod detect;
pub mod scan;
pub mod source;
