//! Rendering a scan's output in the chosen formats (the report, and `--sarif` beside it); the
//! exit code follows `--fail-on`. Shared by `scan` and `scan --fix`.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use super::{emit, EXIT_FINDINGS, EXIT_OK};
use crate::cli::{ColorChoice, ScanArgs};
use crate::error::{Error, Result};
use crate::report::{render, Format as ReportFormat, Report, RuleDoc, Summary};
use crate::rules::RuleSet;
use crate::scan::ScanOutput;

/// Renders the scan's report; the exit code says whether a finding reaches `--fail-on`.
pub fn report(
    args: &ScanArgs,
    output: &ScanOutput,
    max_file_size: u64,
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
        files_skipped: output.files_skipped,
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
    let source = |path: &str| crate::scan::read_text(&root.join(path), max_file_size).ok();
    let mut rendered = Vec::new();
    render(args.format, &report, &source, color, &mut rendered).map_err(|source| Error::Write {
        path: "<report>".into(),
        source,
    })?;
    emit(args.output.as_deref(), &rendered, 0o644, stdout)?;
    if let Some(path) = &args.sarif {
        let mut sarif = Vec::new();
        render(ReportFormat::Sarif, &report, &source, false, &mut sarif).map_err(|source| {
            Error::Write {
                path: path.clone(),
                source,
            }
        })?;
        crate::io::write_atomic(path, &sarif, 0o644)?;
    }
    let failing = output.worst().is_some_and(|worst| worst >= args.fail_on);
    Ok(if failing { EXIT_FINDINGS } else { EXIT_OK })
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
