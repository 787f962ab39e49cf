//! `--format github`: one workflow command per finding, which GitHub shows as an annotation on
//! the file, then the summary as plain text.

use std::io::Write;

use super::redact::is_unsafe;
use super::{commit_label, summary_line, Report};
use crate::finding::Severity;

pub(super) fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    for f in report.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        writeln!(
            out,
            "::{command} file={},line={},col={},title={}::{}",
            escape_property(&f.path),
            f.line,
            f.column,
            escape_property(&title(f)),
            escape_data(&f.message)
        )?;
    }
    // Notes stay plain text: annotations are capped per step and belong to findings. Escaped
    // all the same, so that a file name with a newline cannot start a command of its own.
    for note in &report.summary.notes {
        writeln!(
            out,
            "note: {}: {}",
            escape_data(&note.path),
            escape_data(&note.message)
        )?;
    }
    writeln!(out, "{}", summary_line(report.summary, report.findings))
}

/// The rule, and for a history finding the commit that brought its value in.
fn title(f: &crate::finding::Finding) -> String {
    match &f.commit {
        Some(commit) => format!("{} ({})", f.rule, commit_label(commit)),
        None => f.rule.to_string(),
    }
}

/// GitHub's escaping for a command's message; other characters that a log viewer would act
/// on (escape sequences, bidirectional overrides: see [`is_unsafe`]) are percent-encoded too,
/// which GitHub leaves as it is, so they show as text.
pub(super) fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '%' || (is_unsafe(c) && c != '\t') {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// GitHub's escaping for a command's properties (`file=`, `title=`).
pub(super) fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}
