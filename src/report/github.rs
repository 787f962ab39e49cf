//! `--format github`: one workflow command per finding, which GitHub shows as an annotation on
//! the file, then the summary as plain text.

use std::io::Write;

use super::{summary_line, Report};
use crate::finding::Severity;

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
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
            escape_property(&f.rule),
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
    writeln!(out, "{}", summary_line(report.summary))
}

/// GitHub's escaping for a command's message.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping for a command's properties (`file=`, `title=`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}
