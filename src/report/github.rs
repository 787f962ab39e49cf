//! `--format github`: workflow commands that GitHub shows as annotations on the diff.

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
    for note in &report.summary.notes {
        writeln!(
            out,
            "::notice file={}::{}",
            escape_property(&note.path),
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
