//! `--format human`: findings grouped by file, each as a miette diagnostic: `severity[rule]`
//! (and the commit, for a history finding), the message, a frame headed `[path:line:column]`
//! holding its own line with every value in it replaced by `<redacted>`, and the rule's
//! explanation as help. A finding whose bytes cannot be shown gets the same layout with an
//! empty frame. The lines come from the bytes the scan read (see [`super::Source`]).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::ops::Range;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};

use super::frame::{FileFrames, Snippet};
use super::redact::printable;
use super::{commit_label, summary_line, unwrap_lines, Report, Source};
use crate::finding::{Finding, Severity};

const WIDTH: usize = 100;

pub fn render(
    report: &Report,
    source: &Source,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let handler = handler(color);
    for (path, findings) in by_file(report.findings) {
        writeln!(out, "{}", printable(path).replace('\n', " "))?;
        write_file(report, &handler, path, &findings, source, out)?;
    }
    for note in &report.summary.notes {
        writeln!(
            out,
            "note: {}: {}",
            printable(&note.path),
            printable(&note.message)
        )?;
    }
    writeln!(out, "{}", summary_line(report.summary, report.findings))
}

/// One file's findings. In `--history` and `--range` a path's findings may come from several
/// blobs (one per commit): each is framed from its own.
fn write_file(
    report: &Report,
    handler: &GraphicalReportHandler,
    path: &str,
    findings: &[&Finding],
    source: &Source,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut blobs: Vec<Option<&str>> = findings.iter().map(|f| blob_of(f)).collect();
    blobs.sort();
    blobs.dedup();
    let bytes: Vec<Option<Vec<u8>>> = blobs
        .iter()
        .map(|blob| {
            let first = findings.iter().find(|f| blob_of(f) == *blob)?;
            source(first)
        })
        .collect();
    let frames: Vec<Option<FileFrames>> = blobs
        .iter()
        .zip(&bytes)
        .map(|(blob, bytes)| {
            let in_blob: Vec<&Finding> = findings
                .iter()
                .copied()
                .filter(|f| blob_of(f) == *blob)
                .collect();
            Some(FileFrames::new(path, bytes.as_deref()?, &in_blob))
        })
        .collect();
    for finding in findings {
        let at = blobs.iter().position(|b| *b == blob_of(finding));
        let snippet = at
            .and_then(|at| frames[at].as_ref())
            .and_then(|frames| frames.snippet(finding))
            .unwrap_or_else(|| Snippet::without_source(finding));
        write_diagnostic(
            handler,
            &FindingDiagnostic::new(report, finding, snippet),
            out,
        )?;
    }
    Ok(())
}

/// Which blob of its path a finding was found in: its commit's (`None`: the one file or index
/// blob the scan read).
fn blob_of(finding: &Finding) -> Option<&str> {
    finding.commit.as_ref().map(|c| c.id.as_str())
}

/// The frame's header is the diagnostic's name (`path:line:column`), so that a finding without
/// a line to show is placed the same way.
fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .without_primary_span_start()
}

/// Findings by file in path order, each file's by place.
fn by_file(findings: &[Finding]) -> BTreeMap<&str, Vec<&Finding>> {
    let mut files: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        files.entry(f.path.as_str()).or_default().push(f);
    }
    for in_file in files.values_mut() {
        in_file.sort_by(|a, b| (a.line, a.column, &a.rule).cmp(&(b.line, b.column, &b.rule)));
    }
    files
}

fn write_diagnostic(
    handler: &GraphicalReportHandler,
    diagnostic: &FindingDiagnostic,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut text = String::new();
    handler
        .render_report(&mut text, diagnostic)
        .map_err(std::io::Error::other)?;
    writeln!(out, "{text}")
}

/// `path:line:column`, or the path alone for a finding about a whole file (line 0).
fn location(f: &Finding) -> String {
    let path = printable(&f.path).replace('\n', " ");
    match f.line {
        0 => path,
        line => format!("{path}:{line}:{}", f.column),
    }
}

struct FindingDiagnostic {
    /// `severity[rule]` (and the commit), miette's heading line.
    code: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    label: Range<usize>,
    source: NamedSource<Snippet>,
}

impl FindingDiagnostic {
    fn new(report: &Report, finding: &Finding, snippet: Snippet) -> FindingDiagnostic {
        let mut code = format!("{}[{}]", finding.severity, printable(&finding.rule));
        if let Some(commit) = &finding.commit {
            code.push_str(&format!(" ({})", commit_label(commit)));
        }
        FindingDiagnostic {
            code,
            message: printable(&finding.message),
            severity: match finding.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
                Severity::Info => miette::Severity::Advice,
            },
            help: report
                .rule(&finding.rule)
                .map(|r| unwrap_lines(&r.explanation))
                .filter(|h| !h.is_empty()),
            label: snippet.label(),
            source: NamedSource::new(location(finding), snippet),
        }
    }
}

impl fmt::Debug for FindingDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for FindingDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FindingDiagnostic {}

impl Diagnostic for FindingDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let label = LabeledSpan::new_primary_with_span(Some("here".into()), self.label.clone());
        Some(Box::new(std::iter::once(label)))
    }
}
