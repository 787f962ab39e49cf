//! Integration tests: one binary, so the crate and the CLI are built once.

mod bounds;
mod cli;
mod common;
mod controller;
mod fix;
mod git;
mod graph;
mod integrations;
mod kat;
mod scan;
mod sealed;
mod xcheck;
