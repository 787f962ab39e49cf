use std::io::{IsTerminal, Write};
use std::time::Instant;

use super::{emit, EXIT_FINDINGS, EXIT_OK};
use crate::baseline::Baseline;
use crate::cli::{ColorChoice, ScanArgs};
use crate::config::Config;
use crate::error::Result;
use crate::report::{render, Report, RuleDoc, Summary};
use crate::rules::RuleSet;
use crate::scan::{scan_worktree, ScanRequest};
use crate::source::repository_root;

pub fn run(args: &ScanArgs, stdout: &mut dyn Write) -> Result<u8> {
    let started = Instant::now();
    let first = args
        .paths
        .first()
        .map_or(std::path::Path::new("."), |p| p.as_path());
    let config = Config::load(args.config.as_deref(), first)?;
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let root = repository_root(first);
    let request = ScanRequest {
        paths: args.paths.clone(),
        root: root.clone(),
        config: &config,
        baseline: baseline.as_ref(),
        force_exclude: args.force_exclude,
        threads: args.threads.unwrap_or_else(default_threads),
    };
    let output = scan_worktree(&request);
    if let Some(path) = &args.write_baseline {
        crate::io::write_atomic(path, Baseline::render(&output.findings).as_bytes(), 0o644)?;
        return Ok(EXIT_OK);
    }
    let summary = Summary {
        files_scanned: output.files_scanned,
        bytes_scanned: output.bytes_scanned,
        findings: output.findings.len(),
        suppressed: output.suppressed,
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

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
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
