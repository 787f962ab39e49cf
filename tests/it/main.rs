//! Integration tests: one binary, so the crate and the CLI are built once.

// A test that skips (a tool not installed) says so on stderr.
#![allow(clippy::print_stderr)]

mod bounds;
mod cli;
mod common;
mod controller;
mod corpus_causes;
mod distribution;
mod embedded;
mod fingerprints;
mod fix;
mod frames;
mod git;
mod golden;
mod graph;
mod graphgit;
mod hooks;

mod integrations;
mod kat;
mod mcfix;
mod memory;
mod messages;
mod misses;
mod onboard;
mod packaging;
mod paths;
mod precision;
mod redaction;
mod roots;
mod rule_examples;
mod safety;
mod scan;
mod sealed;
mod staged_cache;
mod stdin;
mod triage;
mod unseal;
mod xcheck;
