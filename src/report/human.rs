//! `--format human`: findings grouped by file, each as a miette diagnostic whose code frame is
//! its own line with every value in it replaced by `<redacted>`, and the rule's explanation
//! as help. Without the file's bytes, a finding is one `path:line:column:` line.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::ops::Range;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};

use super::frame::{FileFrames, Snippet};
use super::redact::printable;
use super::{summary_line, unwrap_lines, Report};
use crate::finding::{Finding, Severity};

const WIDTH: usize = 100;

pub fn render(
    report: &Report,
    source: &dyn Fn(&str) -> Option<Vec<u8>>,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let handler = handler(color);
    for (path, findings) in by_file(report.findings) {
        writeln!(out, "{}", printable(path).replace('\n', " "))?;
        let bytes = source(path);
        let frames = bytes
            .as_deref()
            .map(|b| FileFrames::new(path, b, &findings));
        let mut last_plain = false;
        for finding in findings {
            match frames.as_ref().and_then(|frames| frames.snippet(finding)) {
                Some(snippet) => {
                    let diagnostic = FindingDiagnostic::new(report, finding, snippet);
                    write_diagnostic(&handler, &diagnostic, out)?;
                    last_plain = false;
                }
                None => {
                    writeln!(out, "{}", plain_line(finding))?;
                    last_plain = true;
                }
            }
        }
        // Diagnostics end with a blank line; plain lines get one after the file.
        if last_plain {
            writeln!(out)?;
        }
    }
    for note in &report.summary.notes {
        writeln!(
            out,
            "note: {}: {}",
            printable(&note.path),
            printable(&note.message)
        )?;
    }
    writeln!(out, "{}", summary_line(report.summary))
}

fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme).with_width(WIDTH)
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

/// `path:line:column: severity[rule]: message` on one line (for grep), for a finding without
/// a code frame.
fn plain_line(f: &Finding) -> String {
    format!(
        "{}:{}:{}: {}[{}]: {}",
        printable(&f.path).replace('\n', " "),
        f.line,
        f.column,
        f.severity,
        f.rule,
        printable(&f.message).replace('\n', " ")
    )
}

struct FindingDiagnostic {
    /// `severity[rule]`, miette's heading line.
    code: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    label: Range<usize>,
    source: NamedSource<Snippet>,
}

impl FindingDiagnostic {
    fn new(report: &Report, finding: &Finding, snippet: Snippet) -> FindingDiagnostic {
        FindingDiagnostic {
            code: format!("{}[{}]", finding.severity, finding.rule),
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
            source: NamedSource::new(printable(&finding.path), snippet),
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
