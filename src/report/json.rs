//! `--format json`: a stable object, version 1. Plain structs, so the key order is the
//! documented one whatever serde_json's map features are.

use std::io::Write;

use serde::Serialize;

use super::Report;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    findings: Vec<Finding<'a>>,
    summary: Summary<'a>,
}

#[derive(Serialize)]
struct Finding<'a> {
    rule: &'a str,
    category: &'a str,
    severity: &'a str,
    path: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
    fingerprint: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a crate::finding::CommitInfo>,
}

#[derive(Serialize)]
struct Summary<'a> {
    files_scanned: u64,
    bytes_scanned: u64,
    findings: usize,
    suppressed: usize,
    commits_scanned: u64,
    files_skipped: u64,
    elapsed_ms: u64,
    notes: Vec<Note<'a>>,
}

#[derive(Serialize)]
struct Note<'a> {
    path: &'a str,
    message: &'a str,
}

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let s = report.summary;
    let output = Output {
        version: 1,
        findings: report.findings.iter().map(finding).collect(),
        summary: Summary {
            files_scanned: s.files_scanned,
            bytes_scanned: s.bytes_scanned,
            findings: s.findings,
            suppressed: s.suppressed,
            commits_scanned: s.commits_scanned,
            files_skipped: s.files_skipped,
            elapsed_ms: u64::try_from(s.elapsed.as_millis()).unwrap_or(u64::MAX),
            notes: s
                .notes
                .iter()
                .map(|n| Note {
                    path: &n.path,
                    message: &n.message,
                })
                .collect(),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &output)?;
    writeln!(out)
}

fn finding(f: &crate::finding::Finding) -> Finding<'_> {
    Finding {
        rule: &f.rule,
        category: f.category.as_str(),
        severity: f.severity.as_str(),
        path: &f.path,
        line: f.line,
        column: f.column,
        message: &f.message,
        fingerprint: &f.fingerprint,
        commit: f.commit.as_ref(),
    }
}
