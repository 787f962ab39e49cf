//! `scan --fix` and `reseal`: the library plans and carries out (`fix::apply`); this says what
//! was done, what was left and why, and gives the exit code.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use super::default_threads;
use super::report::report;
use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::cli::{ResealArgs, ScanArgs};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::fix::apply::{fix_scan, Outcome, ResealRequest, Unfixed};
use crate::report::redact::printable;
use crate::scan::{scan, ScanOutput, ScanRequest};

const HISTORY_REMINDER: &str = "note: sealing does not un-leak: the plaintext values are still in the git history. Rotate them in the cluster, and find every past copy with `sealant scan --history`.";

/// `scan --fix [--dry-run]`, after the scan gave `output`.
pub(super) fn scan_fix(
    args: &ScanArgs,
    request: &ScanRequest,
    output: &ScanOutput,
    started: Instant,
    stdout: &mut dyn Write,
) -> Result<u8> {
    let fixed = fix_scan(request, output, args.dry_run, stdout)?;
    let outcome = &fixed.outcome;
    say_unfixed(outcome);
    let (sealed, files) = (outcome.count(), outcome.plans.len());
    if args.dry_run {
        say!("would seal {sealed} Secret(s) in {files} file(s)");
        return Ok(exit_code(outcome, files > 0));
    }
    let rescan = scan(request)?;
    let code = report(args, &rescan, request.config.max_file_size, started, stdout)?;
    say!("sealed {sealed} Secret(s) in {files} file(s)");
    if sealed > 0 && fixed.committed {
        say!("{HISTORY_REMINDER}");
    }
    Ok(code.max(exit_code(outcome, false)))
}

/// `reseal PATHS --keys K [--dry-run]`.
pub(super) fn reseal(args: &ResealArgs, stdout: &mut dyn Write) -> Result<u8> {
    let first = args.paths.first().map_or(Path::new("."), |p| p.as_path());
    let mut config = Config::load(args.config.as_deref(), first)?;
    let root = crate::source::repository_root(first);
    config.anchor(&root);
    if config.certs.is_empty() {
        return Err(Error::usage(
            "no cert is pinned: reseal re-encrypts for the cert pinned for each path",
            Some("add `certs:` to .sealant.yaml (see `sealant init`)".into()),
        ));
    }
    let keys = crate::keyring::load_keys(&args.keys)?;
    let request = ResealRequest {
        paths: &args.paths,
        root: &root,
        config: &config,
        keys: &keys,
        threads: default_threads(),
        dry_run: args.dry_run,
    };
    let outcome = crate::fix::apply::reseal(&request, stdout)?;
    say_unfixed(&outcome);
    let (values, files) = (outcome.count(), outcome.plans.len());
    let verb = if args.dry_run {
        "would re-encrypt"
    } else {
        "re-encrypted"
    };
    say!("{verb} {values} value(s) in {files} file(s)");
    Ok(exit_code(&outcome, args.dry_run && files > 0))
}

/// A write failure is an error; a file left or a change still pending is a finding.
fn exit_code(outcome: &Outcome, changes_pending: bool) -> u8 {
    if outcome.write_errors() > 0 {
        EXIT_ERROR
    } else if changes_pending || outcome.problems() > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// What was left and why, in the order it happened, then the notes.
fn say_unfixed(outcome: &Outcome) {
    for unfixed in &outcome.unfixed {
        match unfixed {
            Unfixed::Problem(problem) => say!(
                "{}:{}:{}: not fixed, the file is left as it is: {}",
                printable(&problem.path),
                problem.line,
                problem.column,
                printable(&problem.message)
            ),
            Unfixed::NotWritten { path, error } => {
                say!("{}: not fixed: {error}", printable(path))
            }
        }
    }
    for note in &outcome.notes {
        say!("note: {}", printable(note));
    }
}
