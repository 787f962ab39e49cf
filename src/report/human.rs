//! `--format human`: findings grouped by file, each with a code frame of its own line in which
//! every reported value is replaced by `<redacted>`, and the rule's explanation as help.

use std::fmt;
use std::io::Write;
use std::ops::Range;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::{summary_line, Report};
use crate::finding::{Finding, Severity};

const REDACTED: &str = "<redacted>";

pub fn render(
    report: &Report,
    source: &dyn Fn(&str) -> Option<Vec<u8>>,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // The snippet holds only the finding's own line(s): a neighbouring line may hold a value
    // that is not reported.
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut paths: Vec<&str> = report.findings.iter().map(|f| f.path.as_str()).collect();
    paths.dedup();
    for path in paths {
        let in_file: Vec<&Finding> = report.findings.iter().filter(|f| f.path == path).collect();
        let bytes = source(path);
        writeln!(out, "{path}")?;
        for finding in &in_file {
            let frame = bytes
                .as_deref()
                .and_then(|b| Snippet::around(path, b, finding, &in_file));
            let mut text = String::new();
            match frame {
                Some(snippet) => {
                    let diagnostic = FindingDiagnostic::new(report, finding, snippet);
                    handler
                        .render_report(&mut text, &diagnostic)
                        .map_err(std::io::Error::other)?;
                }
                None => {
                    text = format!(
                        "{}:{}:{}: {}[{}]: {}\n",
                        path,
                        finding.line,
                        finding.column,
                        finding.severity,
                        finding.rule,
                        finding.message
                    )
                }
            }
            write!(out, "{text}")?;
        }
    }
    for note in &report.summary.notes {
        writeln!(out, "note: {}: {}", note.path, note.message)?;
    }
    writeln!(out, "{}", summary_line(report.summary))
}

/// The finding's line(s), redacted, and where the `<redacted>` marker stands in them.
struct Snippet {
    name: String,
    text: String,
    first_line: usize,
    label: Range<usize>,
}

impl Snippet {
    fn around(
        path: &str,
        bytes: &[u8],
        finding: &Finding,
        in_file: &[&Finding],
    ) -> Option<Snippet> {
        let span = finding.span.clone();
        // Without a span to redact, a frame would show the value: print no frame.
        if span.start >= span.end || span.end > bytes.len() {
            return None;
        }
        let start = memchr::memrchr(b'\n', &bytes[..span.start]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &bytes[span.end..]).map_or(bytes.len(), |i| span.end + i);
        let mut spans: Vec<Range<usize>> = in_file
            .iter()
            .map(|f| f.span.clone())
            .filter(|s| s.start >= start && s.end <= end && s.start < s.end)
            .collect();
        spans.push(span.clone());
        spans.sort_by_key(|s| s.start);
        let (text, label) = redact(&bytes[start..end], start, &spans, &span);
        Some(Snippet {
            name: path.to_string(),
            text,
            first_line: finding.line - 1,
            label,
        })
    }
}

/// Replaces every span by `<redacted>`; returns the text and the marker's place for `own`.
fn redact(
    line: &[u8],
    base: usize,
    spans: &[Range<usize>],
    own: &Range<usize>,
) -> (String, Range<usize>) {
    let mut text = String::new();
    let mut label = 0..0;
    let mut at = base;
    for s in spans {
        if s.start < at {
            continue;
        }
        text.push_str(&String::from_utf8_lossy(&line[at - base..s.start - base]).replace('\r', ""));
        if s == own {
            label = text.len()..text.len() + REDACTED.len();
        }
        text.push_str(REDACTED);
        at = s.end;
    }
    text.push_str(&String::from_utf8_lossy(&line[at - base..]).replace('\r', ""));
    (text, label)
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            inner.column(),
            inner.line_count(),
        )))
    }
}

struct FindingDiagnostic {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    snippet: Snippet,
}

impl FindingDiagnostic {
    fn new(report: &Report, finding: &Finding, snippet: Snippet) -> FindingDiagnostic {
        FindingDiagnostic {
            message: finding.message.clone(),
            code: finding.rule.clone(),
            severity: match finding.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
                Severity::Info => miette::Severity::Advice,
            },
            help: report
                .rule(&finding.rule)
                .map(|r| r.explanation.trim().replace('\n', " ")),
            snippet,
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
        Some(&self.snippet)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let label = self.snippet.label.clone();
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some("here".into()),
            label,
        ))))
    }
}
