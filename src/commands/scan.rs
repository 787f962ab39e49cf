use std::io::{IsTerminal, Write};
use std::time::Instant;

use super::{emit, EXIT_FINDINGS, EXIT_OK};
use crate::baseline::Baseline;
use crate::cli::{ColorChoice, ScanArgs};
use crate::config::Config;
use crate::error::Result;
use crate::report::{render, Report, RuleDoc, Summary};
use crate::rules::RuleSet;
use crate::scan::{scan, Mode, Progress, ScanOutput, ScanRequest};

pub fn run(args: &ScanArgs, stdout: &mut dyn Write) -> Result<u8> {
    let started = Instant::now();
    let first = args
        .paths
        .first()
        .map_or(std::path::Path::new("."), |p| p.as_path());
    let mut config = Config::load(args.config.as_deref(), first)?;
    config.anchor(&crate::source::repository_root(first));
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let mode = match (&args.range, args.staged, args.history) {
        (Some(range), ..) => Mode::Range(range.clone()),
        (None, true, _) => Mode::Staged,
        (None, false, true) => Mode::History(args.refs.clone()),
        (None, false, false) => Mode::Worktree,
    };
    let show_progress = mode != Mode::Worktree && std::io::stderr().is_terminal();
    let progress = |p: Progress| print_progress(p);
    let keys = if args.keys.is_empty() {
        None
    } else {
        Some(crate::keyring::load_keys(&args.keys)?)
    };
    let request = ScanRequest {
        keys: keys.as_deref(),
        paths: args.paths.clone(),
        config: &config,
        baseline: baseline.as_ref(),
        force_exclude: args.force_exclude,
        threads: worker_threads(args.threads),
        mode,
        progress: if show_progress { Some(&progress) } else { None },
    };
    let output = scan(&request)?;
    if show_progress {
        eprint!("\r\x1b[2K");
    }
    if let Some(path) = &args.write_baseline {
        crate::io::write_atomic(path, Baseline::render(&output.findings).as_bytes(), 0o644)?;
        return Ok(EXIT_OK);
    }
    if args.fix {
        return super::fix::scan_fix(args, &request, &output, started, stdout);
    }
    report(args, &output, started, stdout)
}

/// Renders the scan's report; the exit code says whether a finding reaches `--fail-on`.
pub fn report(
    args: &ScanArgs,
    output: &ScanOutput,
    started: Instant,
    stdout: &mut dyn Write,
) -> Result<u8> {
    let root = output.root.clone();
    let summary = Summary {
        files_scanned: output.files_scanned,
        bytes_scanned: output.bytes_scanned,
        findings: output.findings.len(),
        suppressed: output.suppressed,
        commits_scanned: output.commits_scanned,
        elapsed: started.elapsed(),
        notes: output.notes.clone(),
    };
    let rules = rule_docs();
    let report = Report {
        findings: &output.findings,
        summary: &summary,
        rules: &rules,
        tool_version: env!("CARGO_PKG_VERSION"),
    };
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let source = |path: &str| std::fs::read(root.join(path)).ok();
    let mut rendered = Vec::new();
    render(args.format, &report, &source, color, &mut rendered).map_err(|source| {
        crate::error::Error::Write {
            path: "<report>".into(),
            source,
        }
    })?;
    emit(args.output.as_deref(), &rendered, 0o644, stdout)?;
    let failing = output.worst().is_some_and(|worst| worst >= args.fail_on);
    Ok(if failing { EXIT_FINDINGS } else { EXIT_OK })
}

/// One status line on stderr, redrawn at most every 64 files.
fn print_progress(p: Progress) {
    if p.files % 64 == 0 || p.files == p.total_files {
        eprint!(
            "\r\x1b[2Kscanning: {}/{} blobs, {:.1} MB, {} commits",
            p.files,
            p.total_files,
            p.bytes as f64 / 1e6,
            p.commits
        );
    }
}

pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Most worker threads used, whatever `-j` asks: more than a few per CPU only adds stacks and
/// contention (thousands never finish starting).
pub(crate) const MAX_THREADS: usize = 256;

/// `-j N`, clamped to 4 per CPU and [`MAX_THREADS`], with a note on stderr when clamped.
pub(crate) fn worker_threads(requested: Option<usize>) -> usize {
    let cap = (4 * default_threads()).min(MAX_THREADS);
    match requested {
        None | Some(0) => default_threads(),
        Some(n) if n > cap => {
            eprintln!("note: -j {n} is more than this machine can use; using {cap} threads");
            cap
        }
        Some(n) => n,
    }
}

/// Every rule's documentation, for reporters.
pub fn rule_docs() -> Vec<RuleDoc> {
    RuleSet::builtin()
        .rules()
        .iter()
        .map(|r| RuleDoc {
            id: r.id.clone(),
            description: r.description.clone(),
            explanation: r.explanation.clone(),
            severity: r.severity,
            category: r.category,
        })
        .collect()
}
